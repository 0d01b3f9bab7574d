// Powertools Logger whose every line passes through a redacting formatter: the
// message, every attribute, nested objects and formatted errors are scrubbed of
// email- and phone-shaped strings. The layout is Powertools' standard one (which
// the package does not export for extension).
import { Logger, LogFormatter, LogItem } from "@aws-lambda-powertools/logger";
import type { LogAttributes, UnformattedAttributes } from "@aws-lambda-powertools/logger/types";
import { redactDeep } from "./redact";

export class RedactingLogFormatter extends LogFormatter {
  override formatAttributes(attributes: UnformattedAttributes, additionalLogAttributes: LogAttributes): LogItem {
    const base: LogAttributes = {
      level: attributes.logLevel,
      message: attributes.message,
      timestamp: this.formatTimestamp(attributes.timestamp),
      service: attributes.serviceName,
      cold_start: attributes.lambdaContext?.coldStart,
      function_arn: attributes.lambdaContext?.invokedFunctionArn,
      function_memory_size: attributes.lambdaContext?.memoryLimitInMB,
      function_name: attributes.lambdaContext?.functionName,
      function_request_id: attributes.lambdaContext?.awsRequestId,
      sampling_rate: attributes.sampleRateValue,
      xray_trace_id: attributes.xRayTraceId,
    };
    const scrub = (v: unknown): LogAttributes => redactDeep(v, (e) => super.formatError(e)) as LogAttributes;
    return new LogItem({ attributes: scrub(base) }).addAttributes(scrub(additionalLogAttributes));
  }

  override formatError(error: Error): LogAttributes {
    return redactDeep(super.formatError(error), (e) => super.formatError(e)) as LogAttributes;
  }
}

export type LoggerOptions = NonNullable<ConstructorParameters<typeof Logger>[0]>;

/** Service name and level come from POWERTOOLS_SERVICE_NAME / POWERTOOLS_LOG_LEVEL. */
export function createLogger(options: Omit<LoggerOptions, "logFormatter"> = {}): Logger {
  return new Logger({ ...options, logFormatter: new RedactingLogFormatter() } as LoggerOptions);
}
