// Who does something, for the record (silences, acks, service restarts): --by, else user@machine.
import * as os from 'node:os';

export function whoAmI(): string {
  let user = process.env.USER ?? process.env.LOGNAME;
  try {
    user ??= os.userInfo().username;
  } catch {
    user ??= 'unknown';
  }
  return `${user}@${os.hostname().split('.')[0]}`;
}
