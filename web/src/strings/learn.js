// The learn strings, Vietnamese and English (merged into i18n.js's table; keys prefixed 'learn.').
export default {
  vi: {},
  en: {},
};
