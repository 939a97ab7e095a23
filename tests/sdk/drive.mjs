// Drives one binary (rcodex or the Codex CLI) through the official Codex SDK, as a user of the
// SDK would, against the scripted server the Rust test started, and prints what the SDK showed
// as one JSON object on stdout. tests/codex_sdk.rs runs it for both binaries and compares.
//
// Input (env): SDK_DIR (where @openai/codex-sdk is installed), CODEX_BIN, MOCK_BASE_URL,
// WORK (a workspace with dot.png), EXTRA (an extra folder), HOME_DIR (a CODEX_HOME).
// Output: {observed, ids}: `observed` must be the same for both binaries, `ids` are per run.
import path from "node:path";
import { pathToFileURL } from "node:url";

const env = process.env;
const sdkEntry = path.join(env.SDK_DIR, "node_modules/@openai/codex-sdk/dist/index.js");
const { Codex } = await import(pathToFileURL(sdkEntry).href);

const codex = new Codex({
  codexPathOverride: env.CODEX_BIN,
  config: {
    model_provider: "mock",
    model_providers: {
      mock: { name: "Mock", base_url: env.MOCK_BASE_URL, env_key: "MOCK_API_KEY", wire_api: "responses" },
    },
    features: { plugins: false, shell_snapshot: false },
  },
  env: { PATH: env.PATH, HOME: env.HOME_DIR, CODEX_HOME: env.HOME_DIR, MOCK_API_KEY: "sdk-test-key" },
});

// Every ThreadOptions field of SDK 0.163.
const options = {
  model: "gpt-5.5",
  threadSource: "user",
  sandboxMode: "workspace-write",
  workingDirectory: env.WORK,
  skipGitRepoCheck: true,
  modelReasoningEffort: "low",
  networkAccessEnabled: false,
  webSearchMode: "disabled",
  approvalPolicy: "never",
  additionalDirectories: [env.EXTRA],
};

const observed = {};
const usageKeys = (u) => (u ? Object.keys(u).sort() : null);
const errorOf = (e) => ({ name: e.name, says_boom: String(e.message).includes("boom") });

// 1. run(): a new thread.
const thread = codex.startThread(options);
const first = await thread.run("first question");
observed.run = {
  final: first.finalResponse,
  items: first.items.map((i) => i.type),
  usage: usageKeys(first.usage),
  has_id: typeof thread.id === "string" && thread.id.length > 0,
};

// 2. resume by id, with structured input: text and a local image.
const resumed = codex.resumeThread(thread.id, options);
const second = await resumed.run([
  { type: "text", text: "look at" },
  { type: "text", text: "this" },
  { type: "local_image", path: path.join(env.WORK, "dot.png") },
]);
observed.resume = { final: second.finalResponse, same_thread: resumed.id === thread.id };

// 3. runStreamed() with an output schema, on a new thread.
const schema = { type: "object", properties: { answer: { type: "string" } }, required: ["answer"], additionalProperties: false };
const streamed = await codex.startThread(options).runStreamed("structured please", { outputSchema: schema });
const events = [];
let finalText = null;
for await (const event of streamed.events) {
  events.push(event.item ? `${event.type}:${event.item.type}` : event.type);
  if (event.type === "item.completed" && event.item.type === "agent_message") finalText = event.item.text;
}
observed.streamed = { events, final: JSON.parse(finalText) };

// 4. A failing turn: the server answers HTTP 400.
try {
  await codex.startThread(options).run("fail please");
  observed.failed = { error: null };
} catch (e) {
  observed.failed = errorOf(e);
}

// 5. The SDK's baseUrl and apiKey (the built-in openai provider at that URL, the key as
// CODEX_API_KEY), with network access and an approval policy other than never.
const viaUrl = new Codex({
  codexPathOverride: env.CODEX_BIN,
  baseUrl: env.MOCK_BASE_URL,
  apiKey: "sdk-api-key",
  config: { features: { plugins: false, shell_snapshot: false } },
  env: { PATH: env.PATH, HOME: env.HOME_DIR, CODEX_HOME: env.HOME_DIR },
});
const netThread = viaUrl.startThread({ ...options, networkAccessEnabled: true, approvalPolicy: "on-request" });
const viaUrlTurn = await netThread.run("through baseUrl");
observed.base_url = { final: viaUrlTurn.finalResponse };
const ids = { base_url_thread: netThread.id };

// 6. An interrupted turn: abort a second after the turn started (the server is slow to answer).
const controller = new AbortController();
try {
  const slow = await codex.startThread(options).runStreamed("slow one", { signal: controller.signal });
  const seen = [];
  for await (const event of slow.events) {
    seen.push(event.type);
    if (event.type === "turn.started") setTimeout(() => controller.abort(), 1000);
  }
  observed.interrupted = { error: null, seen };
} catch (e) {
  observed.interrupted = { error: e.name };
}

process.stdout.write(JSON.stringify({ observed, ids }) + "\n");
