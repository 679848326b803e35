import type { WorkspaceState } from '../../server/engine/workspace-state.js';
import { Hub } from '../../server/hub.js';
import type { Store } from '../../server/store/store.js';

type Command = Parameters<Hub['dispatch']>[1];
type Actor = Parameters<Hub['dispatch']>[2];

/** An in-process hub with one workspace, for the benches that drive the Hub without sockets. */
export interface BenchHub {
  hub: Hub;
  ws: string;
  state: WorkspaceState;
  /** Dispatches a command to the workspace; resolves once durable with its resource, or throws its error. */
  must(command: Command, actor?: Actor): Promise<{ sid: string }>;
  /** The SID of the workspace's activity of this name. */
  activity(name: string): string;
}

/** Opens a Hub on `store` and creates its workspace. */
export async function benchHub(store: Store): Promise<BenchHub> {
  const hub = await Hub.open({ store, accountSid: `AC${'0'.repeat(32)}` });
  const ws = (await hub.createWorkspace({ friendlyName: 'Bench' })).sid;
  const state = hub.engine(ws)!.state;
  return {
    hub,
    ws,
    state,
    async must(command, actor) {
      const outcome = await hub.dispatch(ws, command, actor);
      if (!outcome.ok) throw outcome.error;
      return outcome.value as { sid: string };
    },
    activity: (name) => [...state.activities.values()].find((a) => a.friendlyName === name)!.sid,
  };
}
