// The desktop approval popup: a small always-on-top window shown (without taking the focus) while
// tool calls wait for a person, and an OS notification for each new one.
import type { BrowserWindowConstructorOptions } from 'electron';
import type { ControlEvent, PendingApproval } from '../shared/contract';

export interface PopupWindow {
  showInactive(): void;
  show(): void;
  focus(): void;
  hide(): void;
  isVisible(): boolean;
  isDestroyed(): boolean;
}

export interface OsNotification {
  title: string;
  body: string;
  /** Clicking it opens the popup with the focus. */
  onClick(): void;
}

export const POPUP_SIZE = { width: 460, height: 600 };

/** Same isolation as the main window; small, on top, out of the taskbar, closed to hidden. */
export const POPUP_OPTIONS = (preload: string): BrowserWindowConstructorOptions => ({
  ...POPUP_SIZE,
  title: 'Gatehouse — approval',
  show: false,
  alwaysOnTop: true,
  skipTaskbar: true,
  resizable: true,
  minimizable: false,
  maximizable: false,
  fullscreenable: false,
  webPreferences: { preload, contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true },
});

/** Where the popup goes in a display's work area: by the tray (top right on macOS, bottom right elsewhere). */
export function popupPosition(workArea: { x: number; y: number; width: number; height: number }, platform: string): { x: number; y: number } {
  const margin = 12;
  const x = workArea.x + workArea.width - POPUP_SIZE.width - margin;
  const y = platform === 'darwin' ? workArea.y + margin : workArea.y + workArea.height - POPUP_SIZE.height - margin;
  return { x: Math.max(workArea.x, x), y: Math.max(workArea.y, y) };
}

export const notificationFor = (a: Pick<PendingApproval, 'keyName' | 'tool' | 'server'>): Omit<OsNotification, 'onClick'> => ({
  title: 'A tool call needs your approval',
  body: `key "${a.keyName}" wants ${a.tool} on ${a.server}`,
});

/**
 * Shows the popup while approvals wait and hides it when none is left. It appears without the
 * focus, so typing elsewhere never lands in it; clicking it (or the notification) focuses it.
 */
export function createApprovalPopup(window: PopupWindow, notify: (n: OsNotification) => void) {
  const waiting = new Set<string>();
  const open = (): void => {
    if (window.isDestroyed()) return;
    window.show();
    window.focus();
  };
  const sync = (): void => {
    if (window.isDestroyed()) return;
    if (waiting.size === 0 && window.isVisible()) window.hide();
    else if (waiting.size > 0 && !window.isVisible()) window.showInactive();
  };
  return {
    open,
    apply(e: ControlEvent): void {
      if (e.event === 'approval:requested') {
        if (waiting.has(e.data.id)) return;
        waiting.add(e.data.id);
        sync();
        notify({ ...notificationFor(e.data), onClick: open });
      } else if (e.event === 'approval:resolved') {
        if (waiting.delete(e.data.id)) sync();
      }
    },
    /** The approvals already waiting (read at start or after a restart): shown, without a notification each. */
    reset(pending: readonly Pick<PendingApproval, 'id'>[]): void {
      waiting.clear();
      for (const a of pending) waiting.add(a.id);
      sync();
    },
  };
}

export type ApprovalPopup = ReturnType<typeof createApprovalPopup>;
