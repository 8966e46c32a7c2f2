/**
 * What Redis keeps per connection that the proxy must know for one client: its database, protocol,
 * ACL user, credentials, name and CLIENT TRACKING mode. Mirrored from the commands Redis accepted
 * (ClientSession calls `apply` with a command once its reply shows it ran), never from what was
 * merely sent; `handshake` gives a new upstream connection the same state.
 */
import { keyword } from './commands.js';

export type TrackingMode = 'off' | 'reads' | 'bcast';

export class ConnectionState {
  protocol = 2;
  authArgs: Buffer[] | undefined;
  clientName: Buffer | undefined;
  /**
   * CLIENT TRACKING as Redis took it. 'reads': Redis reports writes to the keys this connection
   * read, so L1 must not answer it (a read L1 answers is one Redis never tracks, and the client's
   * own cache would keep that key past its next write). 'bcast': Redis reports every write under
   * the prefixes, read or not, so L1 may answer.
   */
  tracking: TrackingMode = 'off';

  constructor(
    public db: number,
    /** The ACL user whose L1 partition this client may read; undefined: not known to be authenticated. */
    public user: string | undefined,
  ) {}

  /**
   * A state change Redis accepted: SELECT, AUTH, HELLO, RESET or CLIENT TRACKING (`name` is the
   * command's lower-case name). `initialUser`: who RESET leaves the client as (ProxyCore's).
   */
  apply(name: string, args: Buffer[], initialUser: string | undefined): void {
    const word = (i: number) => keyword(args, i);
    switch (name) {
      case 'client':
        if (word(2) === 'on') this.tracking = args.some((_, i) => i >= 3 && word(i) === 'bcast') ? 'bcast' : 'reads';
        else this.tracking = 'off';
        return;
      case 'select':
        this.db = Number(args[1].toString('latin1'));
        return;
      case 'auth':
        this.user = args.length >= 3 ? args[1].toString('latin1') : 'default';
        this.authArgs = args.map((a) => Buffer.from(a));
        return;
      case 'hello':
        if (args.length >= 2) this.protocol = Number(args[1].toString('latin1'));
        {
          const auth = helloAuthIndex(args);
          if (auth !== undefined) {
            this.user = args[auth + 1].toString('latin1');
            this.authArgs = [Buffer.from('AUTH'), Buffer.from(args[auth + 1]), Buffer.from(args[auth + 2])];
          }
          const setname = helloOptionIndex(args, 'setname');
          if (setname !== undefined) this.clientName = Buffer.from(args[setname + 1]);
        }
        return;
      case 'reset':
        this.db = 0;
        this.protocol = 2;
        this.user = initialUser;
        this.authArgs = undefined;
        this.clientName = undefined;
        this.tracking = 'off';
        return;
    }
  }

  /**
   * Commands that give a new upstream connection this state. A client that never authenticated
   * gets none: it is what a new connection to Redis is.
   */
  handshake(): Buffer[][] {
    const commands: Buffer[][] = [];
    if (this.authArgs !== undefined) commands.push(this.authArgs);
    if (this.protocol !== 2) commands.push([Buffer.from('HELLO'), Buffer.from(String(this.protocol))]);
    if (this.db !== 0) commands.push([Buffer.from('SELECT'), Buffer.from(String(this.db))]);
    if (this.clientName !== undefined) commands.push([Buffer.from('CLIENT'), Buffer.from('SETNAME'), this.clientName]);
    return commands;
  }
}

/** Where `HELLO protover [AUTH user pass] [SETNAME name]` has its AUTH (the index of the word), if it has one. */
export function helloAuthIndex(args: readonly Buffer[]): number | undefined {
  return helloOptionIndex(args, 'auth');
}

function helloOptionIndex(args: readonly Buffer[], option: 'auth' | 'setname'): number | undefined {
  for (let i = 2; i < args.length; i++) {
    const word = keyword(args, i);
    if (word === 'auth' && i + 2 < args.length) {
      if (option === 'auth') return i;
      i += 2;
    } else if (word === 'setname' && i + 1 < args.length) {
      if (option === 'setname') return i;
      i++;
    }
  }
  return undefined;
}
