// The AWS SDK v3 clients the handler uses, one per service and Region for the container's life
// (each holds a connection pool). The SDK is the one the Lambda Node.js runtime ships: the bundle
// leaves `@aws-sdk/*` external, and each caller `require`s its client inside the function that
// needs it, so a cold start that never needs it does not load it.

const clients = new Map<string, { send: unknown }>();

export function sdkClient<T extends { send: unknown }>(key: string, make: () => T): T {
  let client = clients.get(key) as T | undefined;
  if (!client) {
    client = make();
    clients.set(key, client);
  }
  return client;
}
