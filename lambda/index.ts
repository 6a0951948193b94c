// Bundle entry: the Lambda runtime calls `index.handler` (see lambda/template.yaml).
export { handler } from "./handler";
