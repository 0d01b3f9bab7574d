// The functions API: CreateFunction / UpdateFunctionCode / UpdateFunctionConfiguration /
// DeleteFunction are forwarded to moto (so GetFunction & co. keep working) and, on success, the
// function's code and configuration are kept here per region: the zip (inline or fetched from
// moto's S3) unzipped into a task root per code version, and what Lambda echoes that moto drops.

import * as fs from "node:fs/promises";
import * as path from "node:path";
import { fakeSigV4, httpCall, parseJsonObject } from "../aws";
import type { AwsRequest, AwsResponse, Next } from "../types";
import { codeSha256, findSdkDir, materialize } from "./code";
import { parseFunctionRef } from "./function-ref";
import { lambdaError } from "./responses";
import type { RuntimeHost } from "./runtime-host";
import { runtimeState } from "./runtimes";
import type { FunctionConfig, LambdaPluginOptions } from "./types";

export interface FnEntry {
  cfg: FunctionConfig;
  sha: string;
  codeDir?: string;
  codeVersion: number;
}

function configFrom(resp: Record<string, unknown>, region: string, prev?: FunctionConfig): FunctionConfig {
  const env = (resp.Environment as { Variables?: Record<string, string> } | undefined)?.Variables;
  return {
    name: String(resp.FunctionName ?? prev?.name),
    region,
    arn: String(resp.FunctionArn ?? prev?.arn),
    handler: String(resp.Handler ?? prev?.handler ?? "index.handler"),
    runtime: String(resp.Runtime ?? prev?.runtime ?? "nodejs22.x"),
    timeoutSec: Number(resp.Timeout ?? prev?.timeoutSec ?? 3),
    memoryMb: Number(resp.MemorySize ?? prev?.memoryMb ?? 128),
    env: env ?? (resp.Environment === undefined && prev ? prev.env : {}),
    role: (resp.Role as string | undefined) ?? prev?.role,
    taskRoot: prev?.taskRoot ?? "",
    generation: (prev?.generation ?? 0) + 1,
  };
}

/** Replaces CodeSha256/CodeSize in a moto response body when they differ from AWS's base64(sha256(zip)). */
function patchCodeSha(res: AwsResponse, zip: Buffer | undefined): AwsResponse {
  if (!zip) return res;
  const body = parseJsonObject(res);
  if (!body) return res;
  const sha = codeSha256(zip);
  if (body.CodeSha256 === sha && body.CodeSize === zip.length) return res;
  body.CodeSha256 = sha;
  body.CodeSize = zip.length;
  const headers = { ...res.headers };
  for (const k of Object.keys(headers)) if (k.toLowerCase() === "content-length") delete headers[k];
  return { ...res, headers, body: Buffer.from(JSON.stringify(body)) };
}

export class FunctionsApi {
  private readonly functions = new Map<string, FnEntry>(); // `${region}/${name}`
  // moto forgets LoggingConfig; AWS echoes it, and terraform plans a change without it.
  private readonly loggingConfigs = new Map<string, unknown>();
  private readonly sdkDir = findSdkDir();

  constructor(
    private readonly opts: LambdaPluginOptions,
    private readonly runtimes: RuntimeHost,
    private readonly log: (line: string) => void,
  ) {}

  lookup(ref: string, region: string): FnEntry | undefined {
    const p = parseFunctionRef(ref);
    return this.functions.get(`${p.region ?? region}/${p.name}`);
  }

  /** The entry under `<region>/<name>`. */
  get(key: string): FnEntry | undefined {
    return this.functions.get(key);
  }

  all(): FnEntry[] {
    return [...this.functions.values()];
  }

  /** The log group a function writes to: its LoggingConfig's, or Lambda's default. */
  logGroupOf(cfg: FunctionConfig): string {
    return (this.loggingConfigs.get(`${cfg.region}/${cfg.name}`) as { LogGroup?: string } | undefined)?.LogGroup ?? `/aws/lambda/${cfg.name}`;
  }

  private async codeFromRequest(code: Record<string, unknown> | undefined, region: string): Promise<Buffer | undefined> {
    if (!code) return undefined;
    if (typeof code.ZipFile === "string") return Buffer.from(code.ZipFile, "base64");
    if (typeof code.S3Bucket === "string" && typeof code.S3Key === "string") {
      const key = code.S3Key.split("/").map(encodeURIComponent).join("/");
      const res = await httpCall(this.opts.motoEndpoint, "GET", `/${code.S3Bucket}/${key}`, { authorization: fakeSigV4({ region, service: "s3" }), "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }, Buffer.alloc(0));
      if (res.status >= 300) throw new Error(`S3 GetObject ${code.S3Bucket}/${code.S3Key} failed: ${res.status}`);
      return res.body;
    }
    return undefined;
  }

  private async installCode(entry: FnEntry, zip: Buffer): Promise<void> {
    entry.codeVersion++;
    const dir = path.join(this.runtimes.workDir, "functions", entry.cfg.region, entry.cfg.name, String(entry.codeVersion));
    const taskRoot = await materialize(zip, dir, this.sdkDir);
    const old = entry.codeDir;
    entry.codeDir = dir;
    entry.cfg = { ...entry.cfg, taskRoot, generation: entry.cfg.generation + 1 };
    entry.sha = codeSha256(zip);
    this.runtimes.current?.recycle(entry.cfg.region, entry.cfg.name);
    if (old && old !== dir) setTimeout(() => void fs.rm(old, { recursive: true, force: true }).catch(() => undefined), 30_000).unref();
  }

  private rememberLogging(region: string, name: unknown, body: Record<string, unknown> | undefined): void {
    if (typeof name === "string" && body?.LoggingConfig) this.loggingConfigs.set(`${region}/${name}`, body.LoggingConfig);
  }

  /** Puts the LoggingConfig moto dropped back into a GetFunction (`nested`) or configuration answer. */
  withLogging(res: AwsResponse, region: string, ref: string, nested: boolean): AwsResponse {
    const logging = this.loggingConfigs.get(`${region}/${parseFunctionRef(ref).name}`);
    const resp = logging && res.status < 300 ? parseJsonObject(res) : undefined;
    if (!resp) return res;
    const target = (nested ? resp.Configuration : resp) as Record<string, unknown> | undefined;
    if (!target) return res;
    target.LoggingConfig = logging;
    return { ...res, body: Buffer.from(JSON.stringify(resp)), headers: { ...res.headers, "content-length": String(Buffer.byteLength(JSON.stringify(resp))) } };
  }

  /** What Lambda refuses before it creates or changes a function: a blocked runtime, a role it cannot assume. */
  private async refuseConfiguration(body: Record<string, unknown> | undefined): Promise<AwsResponse | undefined> {
    const rt = typeof body?.Runtime === "string" ? body.Runtime : undefined;
    const state = rt ? runtimeState(rt) : "unknown";
    if (state === "create-blocked" || state === "update-blocked") {
      // AWS's answer for a runtime past its block date (Lambda guide, "Runtime deprecation").
      return lambdaError(400, "InvalidParameterValueException", `The runtime parameter of ${rt} is no longer supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while creating or updating functions.`);
    }
    const authority = this.opts.authority;
    if (authority && typeof body?.Role === "string") {
      const trust = await authority.canAssume(body.Role, "lambda.amazonaws.com");
      if (!trust.allowed) return lambdaError(400, "InvalidParameterValueException", "The role defined for the function cannot be assumed by Lambda.");
    }
    return undefined;
  }

  async createFunction(req: AwsRequest, next: Next): Promise<AwsResponse> {
    const body = parseJsonObject(req);
    const refused = await this.refuseConfiguration(body);
    if (refused) return refused;
    this.rememberLogging(req.region, body?.FunctionName, body);
    let zip: Buffer | undefined;
    try {
      zip = await this.codeFromRequest(body?.Code as Record<string, unknown> | undefined, req.region);
    } catch (e) {
      return lambdaError(400, "InvalidParameterValueException", (e as Error).message);
    }
    const res = await next(req);
    if (res.status >= 300) return res;
    const resp = parseJsonObject(res);
    if (!resp || !zip) return res;
    const cfg = configFrom({ ...body, ...resp }, req.region);
    await this.runtimes.ensure();
    const key = `${req.region}/${cfg.name}`;
    const old = this.functions.get(key);
    if (old) this.runtimes.current?.recycle(req.region, cfg.name);
    const entry: FnEntry = { cfg: { ...cfg, generation: (old?.cfg.generation ?? 0) + 1 }, sha: "", codeVersion: old?.codeVersion ?? 0 };
    try {
      await this.installCode(entry, zip);
    } catch (e) {
      this.log(`lambda: could not unpack code of ${cfg.name}: ${(e as Error).message}`);
    }
    this.functions.set(key, entry);
    return this.withLogging(patchCodeSha(res, zip), req.region, cfg.name, false);
  }

  async updateCode(req: AwsRequest, next: Next, ref: string): Promise<AwsResponse> {
    const body = parseJsonObject(req);
    let zip: Buffer | undefined;
    try {
      zip = await this.codeFromRequest(body, req.region);
    } catch (e) {
      return lambdaError(400, "InvalidParameterValueException", (e as Error).message);
    }
    const res = await next(req);
    if (res.status >= 300 || body?.DryRun === true) return res;
    let entry = this.lookup(ref, req.region);
    const resp = parseJsonObject(res);
    if (!entry && zip && resp?.FunctionName) {
      // Created before this plugin started: the response carries the whole configuration.
      entry = { cfg: configFrom(resp, req.region), sha: "", codeVersion: 0 };
      this.functions.set(`${req.region}/${entry.cfg.name}`, entry);
    }
    if (entry && zip) {
      await this.runtimes.ensure();
      await this.installCode(entry, zip);
    }
    return patchCodeSha(res, zip);
  }

  async updateConfiguration(req: AwsRequest, next: Next, ref: string): Promise<AwsResponse> {
    const refused = await this.refuseConfiguration(parseJsonObject(req));
    if (refused) return refused;
    this.rememberLogging(req.region, parseFunctionRef(ref).name, parseJsonObject(req));
    const res = this.withLogging(await next(req), req.region, ref, false);
    if (res.status >= 300) return res;
    const entry = this.lookup(ref, req.region);
    const resp = parseJsonObject(res);
    if (entry && resp) {
      const body = parseJsonObject(req) ?? {};
      entry.cfg = configFrom({ ...body, ...resp }, entry.cfg.region, entry.cfg);
      this.runtimes.current?.recycle(entry.cfg.region, entry.cfg.name);
    }
    return res;
  }

  async deleteFunction(req: AwsRequest, next: Next, ref: string): Promise<AwsResponse> {
    const res = await next(req);
    if (res.status >= 300 || req.query.get("Qualifier")) return res;
    const p = parseFunctionRef(ref);
    const key = `${p.region ?? req.region}/${p.name}`;
    const entry = this.functions.get(key);
    if (entry) {
      this.functions.delete(key);
      this.runtimes.current?.recycle(entry.cfg.region, entry.cfg.name);
      if (entry.codeDir) {
        const dir = entry.codeDir;
        setTimeout(() => void fs.rm(dir, { recursive: true, force: true }).catch(() => undefined), 30_000).unref();
      }
    }
    return res;
  }
}
