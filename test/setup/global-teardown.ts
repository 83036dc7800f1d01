export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as { __haServer?: { stop(): Promise<void> } }).__haServer;
  await server?.stop();
}
