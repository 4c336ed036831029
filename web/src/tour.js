// A short guided tour on the first visit: four steps pointing at the search box, the map
// and the layer and tool buttons. Skippable, never shown again once seen.
import { t } from './i18n.js';
import { esc } from './report.js';

const KEY = 'qh.tour.seen';
const STEPS = [
  { id: 1, target: null },
  { id: 2, target: '#search-input' },
  { id: 3, target: '#map' },
  { id: 4, target: '#btn-layers' },
];

export function maybeStartTour() {
  let seen = false;
  try {
    seen = localStorage.getItem(KEY) === '1';
  } catch {
    seen = true; // no storage: do not nag on every visit
  }
  if (!seen) startTour();
}

let endCurrent = null;

/** Ends the tour if it is showing (a lesson, a workshop page or a join link took over). */
export function endTour() {
  endCurrent?.();
}

export function startTour() {
  endCurrent?.();
  let i = 0;
  const box = document.createElement('div');
  box.className = 'tour';
  box.id = 'tour';
  box.setAttribute('role', 'dialog');
  box.setAttribute('aria-modal', 'false');
  box.setAttribute('aria-labelledby', 'tour-title');
  document.getElementById('main').appendChild(box);
  let focused = null;
  const end = () => {
    endCurrent = null;
    focused?.classList.remove('tour-focus');
    box.remove();
    try {
      localStorage.setItem(KEY, '1');
    } catch {
      /* private mode */
    }
    document.removeEventListener('keydown', onKey);
  };
  const onKey = (e) => {
    if (e.key === 'Escape') end();
  };
  document.addEventListener('keydown', onKey);
  endCurrent = end;
  const show = () => {
    const s = STEPS[i];
    focused?.classList.remove('tour-focus');
    focused = s.target ? document.querySelector(s.target) : null;
    if (focused && s.target !== '#map') focused.classList.add('tour-focus');
    const last = i === STEPS.length - 1;
    box.innerHTML = `<p class="muted small">${esc(t('tour.step', { i: i + 1, n: STEPS.length }))}</p>
      <h2 id="tour-title">${esc(t(`tour.${s.id}.title`))}</h2><p>${esc(t(`tour.${s.id}.body`))}</p>
      <div class="row"><button type="button" class="btn" id="tour-skip">${esc(t('tour.skip'))}</button>
      <button type="button" class="btn primary" id="tour-next">${esc(t(last ? 'tour.done' : 'tour.next'))}</button></div>`;
    const main = document.getElementById('main').getBoundingClientRect();
    const r = focused && s.target !== '#map' ? focused.getBoundingClientRect() : null;
    const w = Math.min(window.innerWidth * 0.92, 340);
    const left = r ? Math.max(8, Math.min(r.left - main.left, main.width - w - 8)) : (main.width - w) / 2;
    box.style.left = `${left}px`;
    box.style.top = r ? `${Math.max(8, r.bottom - main.top + 10)}px` : '20%';
    box.querySelector('#tour-skip').addEventListener('click', end);
    box.querySelector('#tour-next').addEventListener('click', () => {
      if (last) end();
      else {
        i += 1;
        show();
      }
    });
    box.querySelector('#tour-next').focus();
  };
  show();
}
