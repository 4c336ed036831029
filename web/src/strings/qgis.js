// The qgis strings, Vietnamese and English (merged into i18n.js's table; keys prefixed 'qgis.').
export default {
  vi: {},
  en: {},
};
