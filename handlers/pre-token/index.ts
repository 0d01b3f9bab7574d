// Lambda entry: config is read once per cold start. No AWS clients: the trigger
// only reads the event.
import { readPreTokenConfig } from "../shared/env";
import { createLogger } from "../shared/logger";
import { makeHandler } from "./handler";

export const handler = makeHandler({
  config: readPreTokenConfig(process.env),
  logger: createLogger(),
});
