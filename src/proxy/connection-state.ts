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
   * command's lower-case name). `defaultUserOpen`: RESET leaves the client as `default`, which
   * needs no password.
   */
  apply(name: string, args: Buffer[], defaultUserOpen: boolean): void {
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
        for (let i = 2; i < args.length; i++) {
          if (word(i) === 'auth' && i + 2 < args.length) {
            this.user = args[i + 1].toString('latin1');
            this.authArgs = [Buffer.from('AUTH'), Buffer.from(args[i + 1]), Buffer.from(args[i + 2])];
            i += 2;
          } else if (word(i) === 'setname' && i + 1 < args.length) {
            this.clientName = Buffer.from(args[++i]);
          }
        }
        return;
      case 'reset':
        this.db = 0;
        this.protocol = 2;
        this.user = defaultUserOpen ? 'default' : undefined;
        this.authArgs = undefined;
        this.clientName = undefined;
        this.tracking = 'off';
        return;
    }
  }

  /** Commands that give a new upstream connection this state (`upstreamAuth`: the URL's credentials, when the client gave none). */
  handshake(upstreamAuth: Buffer[] | undefined): Buffer[][] {
    const commands: Buffer[][] = [];
    const auth = this.authArgs ?? upstreamAuth;
    if (auth !== undefined) commands.push(auth);
    if (this.protocol !== 2) commands.push([Buffer.from('HELLO'), Buffer.from(String(this.protocol))]);
    if (this.db !== 0) commands.push([Buffer.from('SELECT'), Buffer.from(String(this.db))]);
    if (this.clientName !== undefined) commands.push([Buffer.from('CLIENT'), Buffer.from('SETNAME'), this.clientName]);
    return commands;
  }
}
