// One search box (an ARIA 1.2 combobox) for everything a citizen may type: a parcel
// ("Vĩnh Thanh tờ 12 thửa 345", "12/345"), a commune, road or plan name with or without
// accents, VN-2000 "X Y" metres (X is the northing, Vietnamese usage) with a province
// picker, or longitude/latitude. Suggestions come from /api/v1/search as one types.
import { t, fmtNum } from './i18n.js';
import { api } from './api.js';
import { parseCoordinateQuery } from './geo.js';
import { PROVINCES } from './provinces.js';
import { esc } from './report.js';

const DEBOUNCE_MS = 220;
const LIMIT = 8;

export function initSearch({ onHit, onCoordinate, toast, defaultProvince }) {
  const form = document.getElementById('search-form');
  const input = document.getElementById('search-input');
  const list = document.getElementById('search-list');
  const province = document.getElementById('province-select');

  province.innerHTML = PROVINCES.map(([slug, name]) => `<option value="${slug}">${esc(name)}</option>`).join('');
  let saved = null;
  try {
    saved = localStorage.getItem('qh.province');
  } catch {
    /* private mode */
  }
  province.value = PROVINCES.some((p) => p[0] === saved) ? saved : defaultProvince;
  province.addEventListener('change', () => {
    try {
      localStorage.setItem('qh.province', province.value);
    } catch {
      /* private mode */
    }
    refresh();
  });

  let items = [];
  let active = -1;
  let timer = 0;
  let ctrl = null;
  let seq = 0;

  const close = () => {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  };

  const render = (msg) => {
    if (msg) {
      list.innerHTML = `<li class="msg" role="option" aria-disabled="true" id="search-msg">${esc(msg)}</li>`;
      items = [];
    } else {
      list.innerHTML = items
        .map((h, i) => `<li role="option" id="search-opt-${i}" aria-selected="${i === active}" data-i="${i}">
          <span class="kind ${esc(h.kind)}">${esc(t(`search.kind.${h.kind}`))}</span>${esc(h.label)}
          ${h.detail ? `<span class="detail">${esc(h.detail)}</span>` : ''}</li>`)
        .join('');
    }
    list.hidden = false;
    input.setAttribute('aria-expanded', 'true');
    if (active >= 0) input.setAttribute('aria-activedescendant', `search-opt-${active}`);
    else input.removeAttribute('aria-activedescendant');
  };

  const coordHit = (c) => {
    if (c.kind === 'vn2000') {
      const name = PROVINCES.find((p) => p[0] === province.value)?.[1] || province.value;
      return { kind: 'point', coord: { ...c, srs: `vn2000:${province.value}` }, label: t('search.vn2000', { x: fmtNum(c.northing, 3), y: fmtNum(c.easting, 3), province: name }) };
    }
    return { kind: 'point', coord: c, label: t('search.lonlat', { lon: fmtNum(c.lon, 6), lat: fmtNum(c.lat, 6) }) };
  };

  async function refresh() {
    const q = input.value.trim();
    const coord = parseCoordinateQuery(q);
    province.hidden = !(coord && coord.kind === 'vn2000');
    if (q.length < 2) {
      close();
      return;
    }
    if (coord) {
      items = [coordHit(coord)];
      active = 0;
      render();
      return;
    }
    ctrl?.abort();
    ctrl = new AbortController();
    const my = ++seq;
    try {
      const res = await api.search(q, LIMIT, ctrl.signal);
      if (my !== seq) return;
      items = res.hits;
      active = items.length ? 0 : -1;
      render(items.length ? null : t('search.none', { q }));
    } catch (e) {
      if (e.name === 'AbortError' || my !== seq) return;
      items = [];
      render(e.status === 0 ? t('error.network') : t('search.error', { msg: e.message }));
    }
  }

  const choose = (i) => {
    const h = items[i];
    if (!h) return;
    close();
    if (h.kind === 'point') onCoordinate(h.coord);
    else {
      input.value = h.label;
      onHit(h);
    }
  };

  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, DEBOUNCE_MS);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      if (list.hidden) {
        refresh();
        return;
      }
      e.preventDefault();
      if (!items.length) return;
      active = (active + (e.key === 'ArrowDown' ? 1 : -1) + items.length) % items.length;
      render();
      document.getElementById(`search-opt-${active}`)?.scrollIntoView({ block: 'nearest' });
    } else if (e.key === 'Escape') {
      close();
    }
  });
  list.addEventListener('mousedown', (e) => e.preventDefault()); // keep focus in the input
  list.addEventListener('click', (e) => {
    const li = e.target.closest('li[data-i]');
    if (li) choose(Number(li.dataset.i));
  });
  input.addEventListener('blur', () => setTimeout(close, 150));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const q = input.value.trim();
    if (!q) {
      toast(t('search.empty'));
      return;
    }
    if (!list.hidden && active >= 0 && items[active]) {
      choose(active);
      return;
    }
    clearTimeout(timer);
    await refresh();
    if (items.length) choose(0);
  });

  return {
    set(q) {
      input.value = q;
    },
    province: () => province.value,
    provinceName: () => PROVINCES.find((p) => p[0] === province.value)?.[1] || province.value,
  };
}
