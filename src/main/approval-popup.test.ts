// The approval popup's window and notifications, driven by approval events.
import { describe, expect, it } from 'vitest';
import type { ControlEvent, PendingApproval } from '../shared/contract';
import { createApprovalPopup, popupPosition, POPUP_OPTIONS, type OsNotification, type PopupWindow } from './approval-popup';

function fakeWindow() {
  const log: string[] = [];
  let visible = false;
  const w: PopupWindow = {
    showInactive: () => void (log.push('showInactive'), (visible = true)),
    show: () => void (log.push('show'), (visible = true)),
    focus: () => void log.push('focus'),
    hide: () => void (log.push('hide'), (visible = false)),
    isVisible: () => visible,
    isDestroyed: () => false,
  };
  return { w, log };
}

const requested = (id: string): ControlEvent => ({ event: 'approval:requested', data: { id, keyName: 'claude', tool: 'every__echo', server: 'every' } as PendingApproval });
const resolved = (id: string): ControlEvent => ({ event: 'approval:resolved', data: { id } as never });

describe('approval popup', () => {
  it('appears without taking the focus while approvals wait, and hides when none is left', () => {
    const { w, log } = fakeWindow();
    const notes: OsNotification[] = [];
    const popup = createApprovalPopup(w, (n) => notes.push(n));
    popup.apply(requested('a1'));
    popup.apply(requested('a2'));
    popup.apply(requested('a1')); // the same approval again: nothing new
    expect(log).toEqual(['showInactive']);
    expect(notes.map((n) => n.body)).toEqual(['key "claude" wants every__echo on every', 'key "claude" wants every__echo on every']);
    expect(notes[0]!.title).toBe('A tool call needs your approval');

    popup.apply(resolved('a1'));
    expect(log).toEqual(['showInactive']);
    popup.apply(resolved('zz')); // not ours
    popup.apply(resolved('a2'));
    expect(log).toEqual(['showInactive', 'hide']);

    // Clicking the notification brings the popup up with the focus.
    notes[1]!.onClick();
    expect(log.slice(-2)).toEqual(['show', 'focus']);
  });

  it('takes the approvals already waiting after a (re)start, without a notification each', () => {
    const { w, log } = fakeWindow();
    const notes: OsNotification[] = [];
    const popup = createApprovalPopup(w, (n) => notes.push(n));
    popup.reset([{ id: 'a1' }, { id: 'a2' }]);
    expect(log).toEqual(['showInactive']);
    expect(notes).toEqual([]);
    popup.reset([]);
    expect(log).toEqual(['showInactive', 'hide']);
  });

  it('is a small isolated window on top, out of the taskbar, placed by the tray', () => {
    expect(POPUP_OPTIONS('/p.cjs')).toMatchObject({ alwaysOnTop: true, skipTaskbar: true, show: false, webPreferences: { preload: '/p.cjs', contextIsolation: true, sandbox: true, nodeIntegration: false } });
    const area = { x: 0, y: 25, width: 1440, height: 875 };
    expect(popupPosition(area, 'darwin')).toEqual({ x: 1440 - 460 - 12, y: 37 });
    expect(popupPosition(area, 'linux')).toEqual({ x: 1440 - 460 - 12, y: 25 + 875 - 600 - 12 });
    // A screen smaller than the popup: kept on screen.
    expect(popupPosition({ x: 0, y: 0, width: 300, height: 300 }, 'win32')).toEqual({ x: 0, y: 0 });
  });
});
