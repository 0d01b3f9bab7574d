// Source of the child-process bootstrap: the sandbox's stand-in for the Lambda
// Node.js runtime. It is plain CommonJS so that the child runs with bare `node`
// (no TypeScript loader, none of the parent's flags or environment). The parent
// writes it into its work dir and forks it with the task root as cwd.
//
// Protocol over the IPC channel:
//   child  -> parent  {type:"ready"} | {type:"initError", error}
//   parent -> child   {type:"invoke", id, event, context}
//   child  -> parent  {type:"result", id, ok:true, payload} | {type:"result", id, ok:false, error}
// `payload` is the JSON text Lambda would return (JSON.stringify of the result).

export const BOOTSTRAP_SOURCE = String.raw`"use strict";
const path = require("node:path");
const fs = require("node:fs");
const util = require("node:util");
const { pathToFileURL } = require("node:url");

const taskRoot = process.env.LAMBDA_TASK_ROOT || process.cwd();
const handlerSetting = process.env._HANDLER || "";
let currentRequestId = undefined;

// Lambda's console: every line carries timestamp, request id and level.
function patchConsole() {
  const write = (level, args) => {
    const msg = util.format.apply(util, args);
    const rid = currentRequestId || "undefined";
    process.stdout.write(new Date().toISOString() + "\t" + rid + "\t" + level + "\t" + msg.replace(/\n/g, "\r") + "\n");
  };
  console.log = (...a) => write("INFO", a);
  console.info = (...a) => write("INFO", a);
  console.warn = (...a) => write("WARN", a);
  console.error = (...a) => write("ERROR", a);
  console.debug = (...a) => write("DEBUG", a);
  console.trace = (...a) => write("TRACE", a);
}

function toErrorPayload(err) {
  if (err instanceof Error || (err && typeof err === "object" && "message" in err)) {
    const trace = typeof err.stack === "string" ? err.stack.split("\n") : [];
    const out = {
      errorType: (err && err.name) || (err && err.constructor && err.constructor.name) || "Error",
      errorMessage: String(err.message),
      trace,
    };
    return out;
  }
  return { errorType: typeof err, errorMessage: String(err), trace: [] };
}

class LambdaRuntimeError extends Error {
  constructor(name, message) {
    super(message);
    this.name = name;
  }
}

function nearestPackageType(dir) {
  let d = dir;
  for (;;) {
    const p = path.join(d, "package.json");
    if (fs.existsSync(p)) {
      try {
        return JSON.parse(fs.readFileSync(p, "utf8")).type === "module" ? "module" : "commonjs";
      } catch {
        return "commonjs";
      }
    }
    const up = path.dirname(d);
    if (up === d || !up.startsWith(taskRoot)) return "commonjs";
    d = up;
  }
}

async function loadModule(base, moduleName) {
  const candidates = [".js", ".mjs", ".cjs"];
  for (const ext of candidates) {
    const file = base + ext;
    if (!fs.existsSync(file)) continue;
    const isEsm = ext === ".mjs" || (ext === ".js" && nearestPackageType(path.dirname(file)) === "module");
    try {
      if (isEsm) return await import(pathToFileURL(file).href);
      return require(file);
    } catch (e) {
      throw classifyLoadError(e, moduleName);
    }
  }
  // A directory or a bare module name, resolved the way require does.
  try {
    return require(base);
  } catch (e) {
    throw classifyLoadError(e, moduleName);
  }
}

function classifyLoadError(e, moduleName) {
  if (e instanceof SyntaxError) {
    const err = new LambdaRuntimeError("Runtime.UserCodeSyntaxError", String(e.name) + ": " + e.message);
    err.stack = e.stack;
    return err;
  }
  if (e && (e.code === "MODULE_NOT_FOUND" || e.code === "ERR_MODULE_NOT_FOUND")) {
    const missing = /Cannot find (?:module|package) '([^']+)'/.exec(String(e.message));
    const what = missing ? missing[1] : moduleName;
    const shown = what.startsWith(taskRoot) ? moduleName : what;
    return new LambdaRuntimeError(
      "Runtime.ImportModuleError",
      "Error: Cannot find module '" + shown + "'\nRequire stack:\n- /var/runtime/index.mjs",
    );
  }
  return e;
}

async function loadHandler() {
  const slash = handlerSetting.lastIndexOf("/");
  const moduleRoot = slash >= 0 ? handlerSetting.slice(0, slash) : "";
  const moduleAndHandler = slash >= 0 ? handlerSetting.slice(slash + 1) : handlerSetting;
  const m = /^([^.]*)\.(.*)$/.exec(moduleAndHandler);
  if (!m || !m[1] || !m[2]) {
    throw new LambdaRuntimeError("Runtime.MalformedHandlerName", "Bad handler " + handlerSetting);
  }
  const moduleName = m[1];
  const handlerPath = m[2];
  const mod = await loadModule(path.resolve(taskRoot, moduleRoot, moduleName), moduleName);
  let fn = mod;
  for (const part of handlerPath.split(".")) {
    fn = fn == null ? undefined : fn[part];
  }
  if (fn === undefined && mod && mod.default && typeof mod.default === "object") {
    // CommonJS imported as ESM: exports live on default.
    fn = mod.default;
    for (const part of handlerPath.split(".")) fn = fn == null ? undefined : fn[part];
  }
  if (fn === undefined || fn === null) {
    throw new LambdaRuntimeError("Runtime.HandlerNotFound", moduleName + "." + handlerPath + " is undefined or not exported");
  }
  if (typeof fn !== "function") {
    throw new LambdaRuntimeError("Runtime.HandlerNotFound", moduleName + "." + handlerPath + " is not a function");
  }
  return fn;
}

// Node.js 24 runtimes take async handlers only (Lambda developer guide, "Define Lambda function
// handler in Node.js": "Callback-based function handlers are only supported up to Node.js 22").
// The runtime decides by the handler's arity, as the runtime interface client does.
const NODE_MAJOR = Number((/nodejs(\d+)\.x/.exec(process.env.AWS_EXECUTION_ENV || "") || [])[1] || 0);

function runHandler(fn, event, ctx) {
  if (NODE_MAJOR >= 24 && fn.length >= 3) {
    return Promise.reject(
      new LambdaRuntimeError("Runtime.CallbackHandlerDeprecated", "ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js 24."),
    );
  }
  return new Promise((resolve, reject) => {
    let settled = false;
    const cb = (err, res) => {
      if (settled) return;
      settled = true;
      if (err !== undefined && err !== null) reject(err);
      else resolve(res);
    };
    ctx.done = cb;
    ctx.succeed = (r) => cb(null, r);
    ctx.fail = (e) => cb(e === undefined || e === null ? new Error("handled") : e);
    try {
      const r = fn(event, ctx, cb);
      if (r && typeof r.then === "function") r.then((v) => cb(null, v), (e) => cb(e));
      else if (fn.length < 3) cb(null, r);
    } catch (e) {
      cb(e);
    }
  });
}

function makeContext(c) {
  const deadline = c.deadlineMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: c.functionName,
    functionVersion: c.functionVersion,
    invokedFunctionArn: c.invokedFunctionArn,
    memoryLimitInMB: String(c.memoryLimitInMB),
    awsRequestId: c.awsRequestId,
    logGroupName: c.logGroupName,
    logStreamName: c.logStreamName,
    identity: c.identity,
    clientContext: c.clientContext,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

let handlerFn;

process.on("message", async (msg) => {
  if (!msg || msg.type !== "invoke") return;
  currentRequestId = msg.context.awsRequestId;
  const ctx = makeContext(msg.context);
  let reply;
  try {
    const result = await runHandler(handlerFn, msg.event, ctx);
    const payload = JSON.stringify(result === undefined ? null : result);
    reply = { type: "result", id: msg.id, ok: true, payload: payload === undefined ? "null" : payload };
  } catch (e) {
    const error = toErrorPayload(e);
    process.stdout.write(
      new Date().toISOString() + "\t" + currentRequestId + "\tERROR\tInvoke Error \t" + JSON.stringify(error) + "\n",
    );
    reply = { type: "result", id: msg.id, ok: false, error };
  }
  // End-of-invocation markers let the parent attach every log line to this invocation
  // (the pipes and the IPC channel are read independently).
  const marker = "\u0000SBX_END " + msg.id + "\n";
  process.stdout.write(marker);
  process.stderr.write(marker);
  process.send(reply);
});

process.on("uncaughtException", (e) => {
  const error = toErrorPayload(e);
  process.stdout.write(
    new Date().toISOString() + "\t" + (currentRequestId || "undefined") + "\tERROR\tUncaught Exception \t" + JSON.stringify(error) + "\n",
  );
  process.exit(129);
});
process.on("unhandledRejection", (e) => {
  const error = toErrorPayload(e);
  process.stdout.write(
    new Date().toISOString() + "\t" + (currentRequestId || "undefined") + "\tERROR\tUnhandled Promise Rejection \t" + JSON.stringify(error) + "\n",
  );
  process.exit(128);
});
process.on("disconnect", () => process.exit(0));

patchConsole();
loadHandler().then(
  (fn) => {
    handlerFn = fn;
    process.send({ type: "ready" });
  },
  (e) => {
    const error = toErrorPayload(e);
    process.stdout.write(
      new Date().toISOString() + "\tundefined\tERROR\tInit Error \t" + JSON.stringify(error) + "\n",
    );
    process.send({ type: "initError", error }, () => process.exit(1));
  },
);
`;
