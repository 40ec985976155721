/** Global setup: mock provider servers on loopback (filled in by the chat-completions work). */
export default async function setup() {
  return async () => {};
}
