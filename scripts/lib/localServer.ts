// A throwaway HTTP server on 127.0.0.1 (a free port) that hands each request over with its whole
// body: what the Lambda harness's stand-ins and the tests' SendGrid proxy have in common.
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export type BodyHandler = (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse) => void;

export interface LocalServer {
  /** http://127.0.0.1:<port> */
  url: string;
  /** Stops listening and drops open connections (a test's client may keep one alive). */
  close(): Promise<void>;
}

export async function serveLocally(handle: BodyHandler): Promise<LocalServer> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => handle(req, Buffer.concat(chunks), res));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
