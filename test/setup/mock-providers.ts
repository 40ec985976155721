/** Global setup: the mock providers on a loopback port, for workerd and Node tests alike. */
import type { TestProject } from "vitest/node";
import { startMockProviders } from "../mocks/server";

declare module "vitest" {
  export interface ProvidedContext {
    mockProvidersUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const mock = await startMockProviders();
  project.provide("mockProvidersUrl", mock.url);
  return () => new Promise<void>((resolve) => mock.server.close(() => resolve()));
}
