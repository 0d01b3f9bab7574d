// Imported first by the operator CLIs: the AWS SDK warns about the Node version on
// every run, which an operator cannot act on mid-incident. Its own switch turns it off.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
