// The workshop strings, Vietnamese and English (merged into i18n.js's table; keys prefixed 'workshop.').
export default {
  vi: {},
  en: {},
};
