// One search box (an ARIA 1.2 combobox) for everything a citizen may type: a parcel
// ("thửa đất số 345, tờ bản đồ số 12", "Vĩnh Thanh tờ 12 thửa 345", "345/12", "Vinh Thanh
// sheet 12 parcel 345"), a house address ("223 30 Tháng 4"), a hamlet, commune (also its
// pre-2025 name), road or plan name with or without accents or with a typo, VN-2000 "X Y"
// metres (X is the northing, Vietnamese usage) with a province picker, or
// longitude/latitude. Suggestions come from /api/v1/search as one types; a VN-2000 point on
// no parcel gets the provinces whose meridian puts it on one.
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

  // VN-2000 X/Y read with the wrong province land tens of kilometres off, on no parcel: the
  // server reads the point on the other provincial meridians and names those that land on a
  // parcel; the first one or two are offered with a button that goes there.
  const suggestBox = document.createElement('div');
  suggestBox.id = 'search-suggest';
  suggestBox.className = 'search-suggest';
  suggestBox.setAttribute('role', 'status');
  suggestBox.hidden = true;
  // Fixed under the search form (placed when shown), so the header's layout stays as it is.
  Object.assign(suggestBox.style, { background: '#fff', color: '#1a1a1a', padding: '8px 10px', borderRadius: '8px', boxShadow: '0 2px 8px rgba(0,0,0,.3)', fontSize: '14px', position: 'fixed', zIndex: '30', boxSizing: 'border-box' });
  form.after(suggestBox);
  const hideSuggest = () => {
    suggestBox.hidden = true;
    suggestBox.innerHTML = '';
  };
  const showSuggestions = (coord, list) => {
    suggestBox.innerHTML = list
      .slice(0, 2)
      .map((s, i) => `<p style="margin:0 0 6px">${esc(t('search.suggest.text', { province: s.province, meridian: fmtNum(s.meridian, 2) }))}</p>
        <button type="button" class="btn" data-s="${i}">${esc(t('search.suggest.go', { province: s.province }))}</button>`)
      .join('');
    const r = form.getBoundingClientRect();
    const width = Math.min(576, window.innerWidth - 16);
    Object.assign(suggestBox.style, { top: `${Math.round(r.bottom + 6)}px`, left: `${Math.round(Math.max(8, Math.min(r.left, window.innerWidth - width - 8)))}px`, width: `${width}px` });
    suggestBox.hidden = false;
    suggestBox.querySelectorAll('button[data-s]').forEach((b) =>
      b.addEventListener('click', () => {
        const s = list[Number(b.dataset.s)];
        const slug = s.srs.replace(/^vn2000:/, '');
        if (PROVINCES.some((p) => p[0] === slug)) {
          province.value = slug;
          try {
            localStorage.setItem('qh.province', slug);
          } catch {
            /* private mode */
          }
        }
        hideSuggest();
        onCoordinate({ ...coord, srs: s.srs });
      }),
    );
  };
  const checkVn2000 = async (coord) => {
    try {
      const fc = await api.parcelsAtXY(coord.easting, coord.northing, coord.srs);
      if (!fc.features?.length && fc.suggestions?.length) showSuggestions(coord, fc.suggestions);
    } catch {
      /* the map shows the point anyway */
    }
  };

  const choose = (i) => {
    const h = items[i];
    if (!h) return;
    close();
    hideSuggest();
    if (h.kind === 'point') {
      onCoordinate(h.coord);
      if (h.coord.kind === 'vn2000') checkVn2000(h.coord);
    } else {
      input.value = h.label;
      onHit(h);
    }
  };

  input.addEventListener('input', () => {
    hideSuggest();
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
