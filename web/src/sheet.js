// The panel as a bottom sheet on phones: a grab handle (a button: drag it, tap it, or use the
// keyboard) and three snap points — peek (the answer line), half and full. The last snap is
// remembered. On wide screens the panel is a side panel and none of this applies.
import { t } from './i18n.js';

/** Snap points as fractions of the height of the map area (#main). */
export const SNAPS = { peek: 0.25, half: 0.55, full: 0.92 };
const ORDER = ['peek', 'half', 'full'];
const STORE_KEY = 'qh.sheet';
/** A press that moves less than this many pixels is a tap, not a drag. */
const TAP_SLOP_PX = 6;
/** The width below which the panel is a bottom sheet (the side panel starts at 760 px, see app.css). */
const PHONE = '(max-width: 759.98px)';

function remembered() {
  try {
    const s = localStorage.getItem(STORE_KEY);
    return ORDER.includes(s) ? s : 'half';
  } catch {
    return 'half';
  }
}

/**
 * Wires the sheet. `onChange(insetPx, { final })` is called whenever the room the sheet takes
 * over the map changes: during a drag (final false, at most once a frame) and when a snap
 * settles (final true). The inset is the sheet's target height, not its height mid-animation.
 */
export function initSheet({ panel, handle, main, onChange }) {
  const media = window.matchMedia(PHONE);
  let snap = remembered();
  let dragH = null; // the height under the finger while dragging
  let frame = 0;

  const active = () => media.matches;
  const heightOf = (s) => Math.round(main.clientHeight * SNAPS[s]);
  const inset = () => {
    if (!active() || panel.hidden) return 0;
    return dragH ?? heightOf(snap);
  };
  const notify = (final) => {
    if (final) {
      cancelAnimationFrame(frame);
      frame = 0;
      onChange(inset(), { final: true });
    } else if (!frame) {
      frame = requestAnimationFrame(() => {
        frame = 0;
        onChange(inset(), { final: false });
      });
    }
  };

  const label = () => {
    handle.setAttribute('aria-label', t('sheet.handle', { state: t(`sheet.${snap}`) }));
    handle.title = t('sheet.handle.hint');
  };
  const apply = () => {
    panel.dataset.snap = snap;
    if (active()) panel.style.height = `${dragH ?? heightOf(snap)}px`;
    else panel.style.height = '';
    label();
  };

  function set(next, { remember = true } = {}) {
    if (!ORDER.includes(next)) return;
    snap = next;
    dragH = null;
    if (remember) {
      try {
        localStorage.setItem(STORE_KEY, next);
      } catch {
        /* private mode: the sheet still works, it just forgets */
      }
    }
    apply();
    notify(true);
  }
  const step = (d) => set(ORDER[Math.max(0, Math.min(ORDER.length - 1, ORDER.indexOf(snap) + d))]);
  /** A tap on the handle: up to the next snap, and from full back down to peek. */
  const cycle = () => set(ORDER[(ORDER.indexOf(snap) + 1) % ORDER.length]);

  // ---- dragging (mouse, touch and pen alike)
  let start = null;
  let suppressClick = false;
  handle.addEventListener('pointerdown', (e) => {
    if (!active() || (e.pointerType === 'mouse' && e.button !== 0)) return;
    start = { y: e.clientY, h: panel.getBoundingClientRect().height, id: e.pointerId, moved: false };
    handle.setPointerCapture(e.pointerId);
    e.preventDefault();
  });
  handle.addEventListener('pointermove', (e) => {
    if (!start || e.pointerId !== start.id) return;
    const dy = start.y - e.clientY;
    if (!start.moved && Math.abs(dy) < TAP_SLOP_PX) return;
    start.moved = true;
    panel.classList.add('dragging');
    const min = Math.round(main.clientHeight * 0.12);
    const max = heightOf('full');
    dragH = Math.round(Math.max(min, Math.min(max, start.h + dy)));
    panel.style.height = `${dragH}px`;
    notify(false);
  });
  const end = (e) => {
    if (!start || e.pointerId !== start.id) return;
    const moved = start.moved;
    start = null;
    panel.classList.remove('dragging');
    if (!moved) return; // a tap: the click handler cycles
    suppressClick = true;
    setTimeout(() => (suppressClick = false), 0);
    const h = dragH;
    // The nearest snap point to where the finger let go.
    const next = ORDER.reduce((best, s) => (Math.abs(heightOf(s) - h) < Math.abs(heightOf(best) - h) ? s : best), ORDER[0]);
    set(next);
  };
  handle.addEventListener('pointerup', end);
  handle.addEventListener('pointercancel', end);
  handle.addEventListener('click', () => {
    if (suppressClick) return;
    cycle();
  });
  handle.addEventListener('keydown', (e) => {
    const k = e.key;
    if (k === 'ArrowUp' || k === 'PageUp') step(1);
    else if (k === 'ArrowDown' || k === 'PageDown') step(-1);
    else if (k === 'Home') set('peek');
    else if (k === 'End') set('full');
    else return;
    e.preventDefault();
  });

  const relayout = () => {
    apply();
    notify(true);
  };
  media.addEventListener('change', relayout);
  window.addEventListener('resize', () => {
    if (active()) apply();
  });
  apply();

  return {
    active,
    inset,
    get snap() {
      return snap;
    },
    set,
    /** The panel was opened or closed: the room it takes changed. */
    changed: () => notify(true),
    relabel: label,
  };
}
