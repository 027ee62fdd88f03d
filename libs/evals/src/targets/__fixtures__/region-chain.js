// A team's own LangChain Runnable, as the `langchain` target's `module` option loads it (used by tests).
const { RunnableLambda } = require('@langchain/core/runnables');

module.exports.chain = RunnableLambda.from(async ({ input, metadata }) => ({
  answer: `[${metadata.region}] ${input}`,
}));
