/**
 * How simulated agents answer offers: after a think time (plus jitter) each offer is accepted, or
 * for configured shares rejected or ignored; a won task is completed after a hold time, which
 * frees the agent for the next offer. One behaviour serves every agent of a generator process.
 */
import { nowUs } from '../lib/histogram.js';
import type { AgentListener, Offer } from './agent.js';
import type { FleetRecorder } from './fleet-recorder.js';

/** The agents' behaviour. */
export interface BehaviorConfig {
  /** Think time before answering, ms. */
  thinkMs: number;
  /** Extra think time drawn uniformly from [0, thinkJitterMs), ms. */
  thinkJitterMs: number;
  /** Share of offers rejected (0..1). */
  rejectShare: number;
  /** Share of offers never answered (0..1): they time out. */
  ignoreShare: number;
  /** Time between a won accept and completing the task, ms. */
  holdMs: number;
}

/** Immediate accept and complete. */
export const EAGER: BehaviorConfig = { thinkMs: 0, thinkJitterMs: 0, rejectShare: 0, ignoreShare: 0, holdMs: 0 };

const later = (ms: number, fn: () => void) => (ms <= 0 ? void fn() : void setTimeout(fn, ms));

/** The listener all agents of a process share, reporting to `recorder`. */
export function agentBehavior(config: () => BehaviorConfig, recorder: FleetRecorder): AgentListener {
  const answer = async (offer: Offer) => {
    const sentUs = nowUs();
    const won = await offer.accept();
    recorder.answered(offer.taskKey, offer.intendedUs, sentUs, nowUs(), won);
    if (!won) return;
    const c = config();
    later(c.holdMs, () =>
      offer.complete().then(
        () => void (recorder.counts.completed += 1),
        (error: unknown) => recorder.failed(error),
      ),
    );
  };
  return {
    offer(offer, atUs) {
      recorder.offered(offer.taskKey, offer.intendedUs, atUs);
      const c = config();
      const draw = Math.random();
      if (draw < c.ignoreShare) {
        if (recorder.measures(offer.intendedUs)) recorder.counts.ignored += 1;
        return;
      }
      const think = c.thinkMs + (c.thinkJitterMs > 0 ? Math.random() * c.thinkJitterMs : 0);
      if (draw < c.ignoreShare + c.rejectShare) {
        later(think, () =>
          offer.rescinded ? undefined : offer.reject().then(
            () => void (recorder.measures(offer.intendedUs) && (recorder.counts.rejected += 1)),
            (error: unknown) => recorder.failed(error),
          ),
        );
        return;
      }
      later(think, () => void (offer.rescinded || answer(offer).catch((error: unknown) => recorder.failed(error))));
    },
    rescind(taskKey, atUs) {
      recorder.rescinded(taskKey, atUs);
    },
    disconnected() {
      recorder.counts.disconnects += 1;
    },
  };
}
