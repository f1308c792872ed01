import { api, serverClockOffsetMs } from '../lib/api';
import type { SessionStateBody } from '../lib/types';

/**
 * Keeps the server's idle timer in step with what the person at the screen is doing, and
 * notices when the server has locked or ended the session.
 *
 * - Typing, input and clicks (and scrolling) count as activity; each sends a heartbeat, at most
 *   one per 30 s (a trailing one follows a burst, so the server is never more than 30 s behind).
 *   Mouse movement only counts while the "you will be locked" warning is showing, because that
 *   is what the warning asks for; otherwise a nudged mouse would keep a screen open forever.
 * - The idle deadline is known locally (from the last heartbeat or the last session poll, in the
 *   browser's clock corrected by the server's `Date` header); one minute before it a warning is
 *   shown.
 * - `GET /auth/session` is polled every 15 s, when the warning starts and when the deadline
 *   passes; it does not count as activity. The server decides: `locked` or `none` is reported.
 */

export const heartbeatIntervalMs = 30_000;
const pollIntervalMs = 15_000;
const overduePollIntervalMs = 3_000;
export const warningLeadMs = 60_000;

export type ServerSessionState = SessionStateBody['state'];

export interface SessionActivityCallbacks {
  /** The server's answer to a poll; called on every poll. */
  onServerState(state: ServerSessionState): void;
  /** Seconds until the lock while the warning should show, otherwise null. */
  onWarning(secondsLeft: number | null): void;
}

const activityEvents = ['keydown', 'input', 'pointerdown', 'click', 'wheel', 'touchstart'] as const;

export class SessionActivity {
  private idleTimeoutMs = 15 * 60_000;
  /** Browser-clock time at which the server will lock the session, as far as we know. */
  private idleDeadline = Number.POSITIVE_INFINITY;
  private lastHeartbeatAt = 0;
  private trailingTimer: ReturnType<typeof setTimeout> | null = null;
  private tickTimer: ReturnType<typeof setInterval> | null = null;
  private lastPollAt = 0;
  private polling = false;
  private warningShown = false;
  private warningPolled = false;
  private running = false;
  private locked = false;
  /** Bumped on every lock/unlock, so that a poll answered across the change is not believed. */
  private lockEpoch = 0;

  constructor(private readonly callbacks: SessionActivityCallbacks) {}

  /** Starts tracking for a session with the given idle timeout (seconds). */
  start(idleTimeoutSeconds: number, idleExpiresAt?: string | null): void {
    this.idleTimeoutMs = Math.max(60, idleTimeoutSeconds) * 1000;
    this.idleDeadline = idleExpiresAt ? this.toBrowserTime(idleExpiresAt) : Date.now() + this.idleTimeoutMs;
    this.lastPollAt = Date.now();
    if (this.running) return;
    this.running = true;
    for (const type of activityEvents) document.addEventListener(type, this.handleActivity, { capture: true, passive: true });
    document.addEventListener('pointermove', this.handlePointerMove, { capture: true, passive: true });
    document.addEventListener('visibilitychange', this.handleVisibility);
    this.tickTimer = setInterval(this.tick, 1000);
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    for (const type of activityEvents) document.removeEventListener(type, this.handleActivity, { capture: true });
    document.removeEventListener('pointermove', this.handlePointerMove, { capture: true });
    document.removeEventListener('visibilitychange', this.handleVisibility);
    if (this.tickTimer) clearInterval(this.tickTimer);
    if (this.trailingTimer) clearTimeout(this.trailingTimer);
    this.tickTimer = null;
    this.trailingTimer = null;
    this.setWarning(null);
  }

  /** While locked no heartbeats are sent and no warning shows; polling goes on. */
  setLocked(locked: boolean): void {
    if (locked !== this.locked) this.lockEpoch += 1;
    this.locked = locked;
    if (locked) {
      if (this.trailingTimer) clearTimeout(this.trailingTimer);
      this.trailingTimer = null;
      this.setWarning(null);
    } else {
      // Unlocking is activity on the server: the idle clock starts again now.
      this.lastHeartbeatAt = Date.now();
      this.idleDeadline = Date.now() + this.idleTimeoutMs;
    }
  }

  setIdleTimeout(idleTimeoutSeconds: number): void {
    this.idleTimeoutMs = Math.max(60, idleTimeoutSeconds) * 1000;
  }

  /** Asks the server for the session state now. */
  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    this.lastPollAt = Date.now();
    const epoch = this.lockEpoch;
    try {
      const state = await api.get<SessionStateBody>('/auth/session');
      if (!this.running) return;
      // Locked or unlocked here while the answer was on its way (e.g. "Lock screen" clicked):
      // the answer describes the state before that, so an "active" must not undo a fresh lock.
      if (epoch !== this.lockEpoch) return;
      if (state.idleTimeoutSeconds) this.idleTimeoutMs = state.idleTimeoutSeconds * 1000;
      if (state.state === 'active' && state.idleExpiresAt) {
        this.idleDeadline = this.toBrowserTime(state.idleExpiresAt);
        if (this.idleDeadline - Date.now() > warningLeadMs) this.warningPolled = false;
      }
      this.callbacks.onServerState(state.state);
    } catch {
      // Offline or a hiccup: try again on the next tick. API errors reach the session via onApiError.
    } finally {
      this.polling = false;
      this.tick();
    }
  }

  private toBrowserTime(iso: string): number {
    return Date.parse(iso) - serverClockOffsetMs();
  }

  private readonly handleActivity = (): void => {
    if (!this.running || this.locked) return;
    const now = Date.now();
    if (now - this.lastHeartbeatAt >= heartbeatIntervalMs) {
      void this.sendHeartbeat();
    } else if (!this.trailingTimer) {
      this.trailingTimer = setTimeout(() => {
        this.trailingTimer = null;
        if (this.running && !this.locked) void this.sendHeartbeat();
      }, this.lastHeartbeatAt + heartbeatIntervalMs - now);
    }
  };

  private readonly handlePointerMove = (): void => {
    if (this.warningShown) this.handleActivity();
  };

  private readonly handleVisibility = (): void => {
    // Coming back to the tab: learn at once whether the session was locked meanwhile.
    if (document.visibilityState === 'visible' && this.running) void this.poll();
  };

  private async sendHeartbeat(): Promise<void> {
    const sentAt = Date.now();
    this.lastHeartbeatAt = sentAt;
    try {
      await api.post<void>('/auth/heartbeat');
      if (!this.running || this.locked) return;
      this.idleDeadline = Math.max(this.idleDeadline, sentAt + this.idleTimeoutMs);
      this.warningPolled = false;
      this.tick();
    } catch {
      // SESSION_LOCKED / SESSION_EXPIRED are handled through onApiError; let the next poll settle it.
    }
  }

  private readonly tick = (): void => {
    if (!this.running) return;
    const now = Date.now();
    const remaining = this.idleDeadline - now;
    if (this.locked) {
      if (now - this.lastPollAt >= pollIntervalMs) void this.poll();
      return;
    }
    if (remaining <= 0) {
      this.setWarning(0);
      if (now - this.lastPollAt >= overduePollIntervalMs) void this.poll();
      return;
    }
    if (remaining <= warningLeadMs) {
      this.setWarning(Math.ceil(remaining / 1000));
      // Another tab may have kept the session alive: ask once when the warning starts.
      if (!this.warningPolled) {
        this.warningPolled = true;
        void this.poll();
        return;
      }
    } else {
      this.setWarning(null);
    }
    if (now - this.lastPollAt >= pollIntervalMs) void this.poll();
  };

  private setWarning(secondsLeft: number | null): void {
    this.warningShown = secondsLeft !== null;
    this.callbacks.onWarning(secondsLeft);
  }
}
