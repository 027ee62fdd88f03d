/**
 * The benchmarks' model provider: the local OpenAI-compatible stub in a process of its own (a real provider
 * is another machine; in-process, its CPU would be billed to the client being measured). Prints its base
 * URL on the first line of stdout, then serves until killed. Usage: stub-server.js <latencyMs>.
 */
import { startOpenAiStub } from '@gatehouse/testing/openai-stub';

const LABELS = ['universal_credit', 'pip', 'carers_allowance', 'overpayments', 'general'];

void startOpenAiStub({
  latencyMs: Number(process.argv[2] ?? 20),
  respond: (body) =>
    LABELS[Number(/Enquiry (\d+)/.exec(body.messages.at(-1)?.content ?? '')?.[1] ?? 0) % LABELS.length],
}).then((stub) => {
  process.stdout.write(`${stub.url}\n`);
});
