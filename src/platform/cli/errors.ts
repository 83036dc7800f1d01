// Every error hactl reports goes through here, once: its message and its exit code. Errors of
// ours carry their exit code (HaError); commander's are bad input; anything else is a failure.
import { CommanderError } from 'commander';
import { EXIT, HaError } from '../../core/errors';
import { SEARCH_ATTRIBUTE_TYPES } from '../../core/search-attribute-names';

export function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0)
      return EXIT.ok;
    return EXIT.badInput; // commander already printed the message
  }
  if (err instanceof HaError) {
    for (const line of err.lines()) console.error(line);
    return err.exitCode;
  }
  // gRPC errors say "Failed to start Workflow" and keep the reason in their cause.
  const chain: string[] = [];
  for (let e: unknown = err; e instanceof Error && chain.length < 5; e = (e as { cause?: unknown }).cause)
    chain.push(e.message);
  const text = chain.join(': ');
  const sa = /no mapping defined for search attribute (\w+)|search attribute (\w+) is not defined/i.exec(
    text,
  );
  if (sa) {
    console.error(
      `error: the server does not know the search attribute ${sa[1] ?? sa[2]}; run \`hactl apply\` once on this namespace (it registers ${Object.keys(SEARCH_ATTRIBUTE_TYPES).join(', ')})`,
    );
    return EXIT.failure;
  }
  console.error(`error: ${text || String(err)}`);
  if (process.env.HA_DEBUG && err instanceof Error) console.error(err.stack);
  return EXIT.failure;
}
