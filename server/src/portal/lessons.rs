//! Lessons on the live map (contracts §1): content files (YAML, Markdown texts per language)
//! that trainers edit or translate, generated into tasks from the data the server holds.
//!
//! A lesson file names, for each step, a *picker* of its target and an *answer* function
//! (vocabularies in [`quyhoach_data::index::lessons`]); the generator finds a parcel with a
//! duplicate number, one a red line cuts, a draft plan, a certificate corner… in the loaded
//! store and computes the answers with the real report code. The result is kept per data
//! version in [`LessonCache`] (built once, on a blocking thread, on first use) and served as
//!
//! - `GET /api/v1/lessons?lang=` — the lessons and their steps with targets, never answers;
//! - `POST /api/v1/lessons/{lesson}/steps/{step}/check` — `{"answer": …}` → correct, or a hint;
//! - `POST /api/v1/lessons/{lesson}/steps/{step}/show` — the answer, for "show me".
//!
//! The built-in lessons are compiled into the binary ([`builtin_files`]); `--lessons DIR`
//! replaces them, and [`validate_dir`] checks such a directory at start-up.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use anyhow::{anyhow, bail, Context};
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Json;
use quyhoach_data::demo::Rng;
use quyhoach_data::encoding::fold;
use quyhoach_data::index::lessons::{
    check_site, Expected, Label, LessonData, Missing, ParcelRef, Picked, SiteProblem, Target,
    ANSWERS, PICKERS, SITE_IN_ZONE_PCT, SITE_MAX_M2, SITE_MIN_M2,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::PortalState;
use super::Routes;
use crate::apidoc::{Op, Schemas};
use crate::error::{AppError, Result};
use crate::params::Query;

/// Largest lesson file read (bytes): a lesson with two languages is a few kilobytes.
pub const MAX_LESSON_FILE_BYTES: u64 = 256 * 1024;

/// Most lesson files read from a directory.
pub const MAX_LESSON_FILES: usize = 100;

/// Largest body of `check` (bytes): a drawn site of a few hundred vertices is a few
/// kilobytes; anything larger is not a trainee's answer.
pub const MAX_CHECK_BODY_BYTES: usize = 256 * 1024;

/// Longest text or code answer (characters).
pub const MAX_TEXT_ANSWER: usize = 200;

/// Most layer groups in a `toggle_layer` answer (a map has tens).
pub const MAX_VISIBLE_GROUPS: usize = 500;

/// Longest lesson or step id (path segment) accepted.
const MAX_ID_CHARS: usize = 64;

/// The lessons shipped with the binary: (file name, content).
const BUILTIN: &[(&str, &str)] = &[
    (
        "01-read-map.yaml",
        include_str!("../../../lessons/01-read-map.yaml"),
    ),
    (
        "02-find-parcel.yaml",
        include_str!("../../../lessons/02-find-parcel.yaml"),
    ),
    (
        "03-coordinates.yaml",
        include_str!("../../../lessons/03-coordinates.yaml"),
    ),
    (
        "04-affected.yaml",
        include_str!("../../../lessons/04-affected.yaml"),
    ),
    (
        "05-plans-disagree.yaml",
        include_str!("../../../lessons/05-plans-disagree.yaml"),
    ),
    (
        "06-zoning-site.yaml",
        include_str!("../../../lessons/06-zoning-site.yaml"),
    ),
    (
        "07-qgis-gdal.yaml",
        include_str!("../../../lessons/07-qgis-gdal.yaml"),
    ),
    (
        "08-prepare-data.yaml",
        include_str!("../../../lessons/08-prepare-data.yaml"),
    ),
];

/// The built-in lesson files, (file name, content): the offline kit writes them out.
pub fn builtin_files() -> Vec<(&'static str, &'static str)> {
    BUILTIN.to_vec()
}

// ------------------------------------------------------------------------ the file format

/// Texts by language code (`vi`, `en`, …).
type Texts = BTreeMap<String, String>;

/// Languages every text must have.
const REQUIRED_LANGS: [&str; 2] = ["vi", "en"];

/// The kinds of steps (contracts §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// Read, then go on.
    Read,
    /// Open a parcel.
    OpenParcel,
    /// Show or hide a layer.
    ToggleLayer,
    /// Pick one of the options.
    Choose,
    /// Type a code.
    Text,
    /// Type a number.
    Number,
    /// Draw a site.
    Site,
    /// Read a figure off the practice import's report.
    PracticeImport,
}

impl StepKind {
    fn id(self) -> &'static str {
        match self {
            StepKind::Read => "read",
            StepKind::OpenParcel => "open_parcel",
            StepKind::ToggleLayer => "toggle_layer",
            StepKind::Choose => "choose",
            StepKind::Text => "text",
            StepKind::Number => "number",
            StepKind::Site => "site",
            StepKind::PracticeImport => "practice_import",
        }
    }
}

/// One lesson file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct LessonFile {
    id: String,
    order: u32,
    minutes: u32,
    #[serde(default)]
    audience: Vec<String>,
    title: Texts,
    summary: Texts,
    steps: Vec<StepFile>,
}

/// One step of a lesson file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct StepFile {
    id: String,
    kind: StepKind,
    title: Texts,
    text: Texts,
    #[serde(default)]
    hint: Option<Texts>,
    #[serde(default)]
    explanation: Option<Texts>,
    #[serde(default)]
    control: Option<String>,
    #[serde(default = "none")]
    target: String,
    /// More pickers whose placeholders the texts use (their targets are not shown).
    #[serde(default)]
    with: Vec<String>,
    #[serde(default)]
    answer: Option<String>,
    /// For `toggle_layer`: whether the layer is to be shown (default) or hidden.
    #[serde(default)]
    visible: Option<bool>,
    /// The lesson stays available without this step (it is left out when the data lacks it).
    #[serde(default)]
    optional: bool,
}

fn none() -> String {
    "none".into()
}

/// Placeholders every text may use besides its pickers'.
const GLOBAL_VARS: &[&str] = &["base_url"];

fn picker_vars(name: &str) -> Option<&'static [&'static str]> {
    PICKERS.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

/// The `{name}` placeholders of a text (`{{` and `}}` are literal braces).
fn placeholders(text: &str) -> std::result::Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' if chars.peek().map(|p| p.1) == Some('{') => {
                chars.next();
            }
            '}' if chars.peek().map(|p| p.1) == Some('}') => {
                chars.next();
            }
            '{' => {
                let rest = &text[i + 1..];
                let end = rest
                    .find('}')
                    .ok_or_else(|| format!("an unclosed '{{' at byte {i}"))?;
                let name = &rest[..end];
                if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    return Err(format!(
                        "'{{{name}}}' is not a placeholder name (write {{{{ for a brace)"
                    ));
                }
                out.push(name.to_string());
                for _ in 0..end + 1 {
                    chars.next();
                }
            }
            '}' => return Err(format!("a lone '}}' at byte {i} (write }}}} for a brace)")),
            _ => {}
        }
    }
    Ok(out)
}

/// Which kinds take which answer shapes.
fn kind_takes_answer(kind: StepKind) -> bool {
    matches!(
        kind,
        StepKind::Choose | StepKind::Text | StepKind::Number | StepKind::PracticeImport
    )
}

fn check_texts(what: &str, t: &Texts, allowed: &BTreeSet<&str>) -> anyhow::Result<()> {
    for lang in REQUIRED_LANGS {
        match t.get(lang) {
            Some(s) if !s.trim().is_empty() => {}
            _ => bail!("{what} has no '{lang}' text (every text needs vi and en)"),
        }
    }
    for (lang, s) in t {
        if lang.len() > 8 || !lang.chars().all(|c| c.is_ascii_lowercase() || c == '-') {
            bail!("{what}: '{lang}' is not a language code (e.g. vi, en)");
        }
        for name in placeholders(s).map_err(|e| anyhow!("{what} ({lang}): {e}"))? {
            if !allowed.contains(name.as_str()) {
                bail!(
                    "{what} ({lang}) uses {{{name}}}, which this step does not provide; it may use: {}",
                    allowed.iter().map(|v| format!("{{{v}}}")).collect::<Vec<_>>().join(", ")
                );
            }
        }
    }
    Ok(())
}

impl LessonFile {
    fn validate(&self) -> anyhow::Result<()> {
        check_id(&self.id).map_err(|e| anyhow!("id: {e}"))?;
        let no_vars = BTreeSet::new();
        check_texts("title", &self.title, &no_vars)?;
        check_texts("summary", &self.summary, &no_vars)?;
        if self.steps.is_empty() {
            bail!("the lesson has no steps");
        }
        if self.minutes == 0 || self.minutes > 600 {
            bail!("minutes must be 1 to 600");
        }
        let mut ids = BTreeSet::new();
        for (i, s) in self.steps.iter().enumerate() {
            let at = format!("step {} ('{}')", i + 1, s.id);
            check_id(&s.id).map_err(|e| anyhow!("{at}: id: {e}"))?;
            if !ids.insert(s.id.as_str()) {
                bail!("{at}: the id is used twice");
            }
            let mut vars: BTreeSet<&str> = GLOBAL_VARS.iter().copied().collect();
            for p in std::iter::once(&s.target).chain(&s.with) {
                let v = picker_vars(p).ok_or_else(|| {
                    anyhow!(
                        "{at}: unknown picker '{p}'; pickers: {}",
                        PICKERS.iter().map(|p| p.0).collect::<Vec<_>>().join(", ")
                    )
                })?;
                vars.extend(v.iter().copied());
            }
            check_texts(&format!("{at} title"), &s.title, &vars)?;
            check_texts(&format!("{at} text"), &s.text, &vars)?;
            let mut with_answer = vars.clone();
            with_answer.insert("answer");
            if let Some(e) = &s.explanation {
                check_texts(&format!("{at} explanation"), e, &with_answer)?;
            }
            if let Some(h) = &s.hint {
                check_texts(&format!("{at} hint"), h, &vars)?;
            } else if s.kind != StepKind::Read {
                bail!(
                    "{at}: a {} step needs a hint (vi and en) for wrong answers",
                    s.kind.id()
                );
            }
            if let Some(c) = &s.control {
                if c.is_empty() || c.len() > 200 || c.contains(['<', '>']) && !c.contains('[') {
                    bail!("{at}: control must be a CSS selector of up to 200 characters");
                }
                placeholders(c).map_err(|e| anyhow!("{at} control: {e}"))?;
            }
            match (kind_takes_answer(s.kind), &s.answer) {
                (true, None) => bail!("{at}: a {} step needs an answer", s.kind.id()),
                (false, Some(a)) if a != "target" => {
                    bail!(
                        "{at}: a {} step takes no answer (its target is the answer)",
                        s.kind.id()
                    )
                }
                (true, Some(a)) => {
                    if let Some(fact) = a.strip_prefix("practice:") {
                        if s.kind != StepKind::PracticeImport || fact.is_empty() {
                            bail!("{at}: practice:<fact> answers belong to practice_import steps");
                        }
                    } else {
                        if s.kind == StepKind::PracticeImport {
                            bail!("{at}: a practice_import step's answer is practice:<fact>");
                        }
                        let (_, from) = ANSWERS.iter().find(|(n, _)| n == a).ok_or_else(|| {
                            anyhow!(
                                "{at}: unknown answer '{a}'; answers: {}, practice:<fact>",
                                ANSWERS.iter().map(|a| a.0).collect::<Vec<_>>().join(", ")
                            )
                        })?;
                        if !from.is_empty()
                            && !std::iter::once(&s.target)
                                .chain(&s.with)
                                .any(|p| from.contains(&p.as_str()))
                        {
                            bail!(
                                "{at}: answer '{a}' is computed from a target of {}",
                                from.join(", ")
                            );
                        }
                    }
                }
                _ => {}
            }
            let needs: &[&str] = match s.kind {
                StepKind::OpenParcel => &[
                    "any_parcel",
                    "duplicate_parcel",
                    "straddling_parcel",
                    "redline_parcel",
                    "disagreeing_parcel",
                    "corner_coordinates",
                ],
                StepKind::ToggleLayer => &["draft_zones_layer", "parcels_layer"],
                StepKind::Site => &["binding_zone", "indicator_zone"],
                _ => &[],
            };
            if !needs.is_empty() && !needs.contains(&s.target.as_str()) {
                bail!(
                    "{at}: a {} step's target is one of {}",
                    s.kind.id(),
                    needs.join(", ")
                );
            }
            if s.visible.is_some() && s.kind != StepKind::ToggleLayer {
                bail!("{at}: 'visible' belongs to toggle_layer steps");
            }
        }
        Ok(())
    }
}

fn check_id(id: &str) -> std::result::Result<(), String> {
    if id.is_empty()
        || id.len() > MAX_ID_CHARS
        || !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(format!(
            "'{id}' must be 1 to {MAX_ID_CHARS} lower-case letters, digits and dashes"
        ));
    }
    Ok(())
}

fn parse_file(name: &str, text: &str) -> anyhow::Result<LessonFile> {
    let f: LessonFile =
        serde_norway::from_str(text).with_context(|| format!("lesson file {name}"))?;
    f.validate()
        .with_context(|| format!("lesson file {name}"))?;
    Ok(f)
}

fn parse_all(files: &[(String, String)]) -> anyhow::Result<Vec<LessonFile>> {
    let mut out: Vec<LessonFile> = Vec::new();
    for (name, text) in files {
        let f = parse_file(name, text)?;
        if out.iter().any(|o| o.id == f.id) {
            bail!(
                "lesson file {name}: lesson id '{}' is used by another file",
                f.id
            );
        }
        out.push(f);
    }
    if out.is_empty() {
        bail!("no lesson files (*.yaml)");
    }
    out.sort_by(|a, b| (a.order, &a.id).cmp(&(b.order, &b.id)));
    Ok(out)
}

fn read_dir(dir: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let mut files = Vec::new();
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("reading lessons directory {}", dir.display()))?;
    for e in entries {
        let e = e?;
        let path = e.path();
        let name = e.file_name().to_string_lossy().to_string();
        if !(name.ends_with(".yaml") || name.ends_with(".yml")) || name.starts_with('.') {
            continue;
        }
        if files.len() >= MAX_LESSON_FILES {
            bail!(
                "{} holds more than {MAX_LESSON_FILES} lesson files",
                dir.display()
            );
        }
        let meta =
            std::fs::metadata(&path).with_context(|| format!("lesson file {}", path.display()))?;
        if meta.len() > MAX_LESSON_FILE_BYTES {
            bail!(
                "lesson file {} is {} bytes; at most {MAX_LESSON_FILE_BYTES}",
                path.display(),
                meta.len()
            );
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("lesson file {} (must be UTF-8 text)", path.display()))?;
        files.push((name, text));
    }
    files.sort();
    Ok(files)
}

/// Reads and checks every lesson file of `dir` (`--lessons DIR`): call at start-up so a bad
/// file stops the server with the file's name and what is wrong, not at the first request.
pub fn validate_dir(dir: &Path) -> anyhow::Result<()> {
    parse_all(&read_dir(dir)?).map(|_| ())
}

fn load_files(dir: Option<&Path>) -> anyhow::Result<Vec<LessonFile>> {
    match dir {
        Some(d) => parse_all(&read_dir(d)?),
        None => parse_all(
            &BUILTIN
                .iter()
                .map(|(n, t)| (n.to_string(), t.to_string()))
                .collect::<Vec<_>>(),
        ),
    }
}

// ------------------------------------------------------------------------ generation

/// One generated step.
struct GenStep {
    file: StepFile,
    target: Option<Target>,
    vars: BTreeMap<String, String>,
    expected: Option<Expected>,
    /// Options of a `choose` step, shuffled: (id, label), and the right id.
    options: Vec<(String, Label)>,
    right: Option<String>,
    missing: Option<Missing>,
}

/// One generated lesson.
struct GenLesson {
    file: LessonFile,
    steps: Vec<GenStep>,
    missing: Option<Missing>,
}

/// The lessons generated from one data version.
struct Generated {
    data_version: String,
    lessons: Vec<GenLesson>,
    langs: BTreeSet<String>,
}

/// The lessons generated from one data version: built on first use, on a blocking thread;
/// concurrent first requests wait for the one build.
#[derive(Default)]
pub struct LessonCache {
    cell: tokio::sync::OnceCell<Arc<Generated>>,
}

fn seed_of(version: &str) -> u64 {
    version.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

fn number_label(v: f64, lang: &str) -> String {
    let mut s = format!("{:.2}", v);
    while s.contains('.') && (s.ends_with('0') || s.ends_with('.')) {
        s.pop();
    }
    if lang == "vi" {
        s = s.replace('.', ",");
    }
    s
}

/// A unit of [`Expected::Number`] in the language.
fn unit_label(unit: &str, lang: &str) -> String {
    let vi = lang == "vi";
    match unit {
        "floors" => {
            if vi {
                "tầng"
            } else {
                "floors"
            }
        }
        "times" => {
            if vi {
                "lần"
            } else {
                "×"
            }
        }
        "parcels" => {
            if vi {
                "thửa"
            } else {
                "parcels"
            }
        }
        other => other,
    }
    .to_string()
}

fn option_labels(e: &Expected) -> Option<(Label, Vec<Label>)> {
    let num = |v: f64| Label {
        vi: number_label(v, "vi"),
        en: number_label(v, "en"),
    };
    match e {
        Expected::Text { value, others } => Some((
            Label {
                vi: value.clone(),
                en: value.clone(),
            },
            others
                .iter()
                .map(|o| Label {
                    vi: o.clone(),
                    en: o.clone(),
                })
                .collect(),
        )),
        Expected::Number { value, others, .. } => {
            Some((num(*value), others.iter().map(|o| num(*o)).collect()))
        }
        Expected::Choice { right, others } => Some((right.clone(), others.clone())),
        _ => None,
    }
}

/// The lessons of one data version, from any store (the index, or PostGIS: the same picks
/// and answers for the same data).
fn generate(
    store: &dyn quyhoach_data::lookup::Store,
    version: &str,
    files: Vec<LessonFile>,
    facts: BTreeMap<String, Value>,
) -> anyhow::Result<Generated> {
    let seed = seed_of(version);
    let mut data = LessonData::of_store(store, seed, facts)
        .map_err(|e| anyhow!("reading the store for the lessons: {e}"))?;
    let mut langs = BTreeSet::new();
    let mut lessons = Vec::new();
    for file in files {
        langs.extend(file.title.keys().cloned());
        let mut steps = Vec::new();
        let mut missing: Option<Missing> = None;
        for sf in &file.steps {
            let mut step = GenStep {
                file: sf.clone(),
                target: None,
                vars: BTreeMap::new(),
                expected: None,
                options: Vec::new(),
                right: None,
                missing: None,
            };
            let result = (|| -> std::result::Result<(), Missing> {
                let picked: Picked = data.pick(&sf.target)?;
                for w in &sf.with {
                    step.vars.extend(data.pick(w)?.vars);
                }
                step.vars.extend(picked.vars.clone());
                step.target = picked.target.clone();
                let answer = match sf.kind {
                    StepKind::Read => None,
                    StepKind::OpenParcel | StepKind::ToggleLayer | StepKind::Site => Some("target"),
                    _ => sf.answer.as_deref(),
                };
                if let Some(a) = answer {
                    let picked_for_answer = match ANSWERS.iter().find(|(n, _)| *n == a) {
                        Some((_, from))
                            if !from.is_empty() && !from.contains(&sf.target.as_str()) =>
                        {
                            sf.with
                                .iter()
                                .find(|w| from.contains(&w.as_str()))
                                .map(|w| data.pick(w))
                                .transpose()?
                        }
                        _ => None,
                    }
                    .unwrap_or(picked);
                    let mut e = data.answer(a, &picked_for_answer)?;
                    if let (Expected::Layer { visible, .. }, Some(v)) = (&mut e, sf.visible) {
                        *visible = v;
                    }
                    step.expected = Some(e);
                }
                Ok(())
            })();
            if let Err(m) = result {
                step.missing = Some(m);
            }
            if sf.kind == StepKind::Choose {
                if let Some((right, others)) = step.expected.as_ref().and_then(option_labels) {
                    let mut all: Vec<(bool, Label)> = vec![(true, right)];
                    for o in others.into_iter().take(3) {
                        if !all.iter().any(|(_, l)| l.vi == o.vi) {
                            all.push((false, o));
                        }
                    }
                    Rng::new(seed ^ seed_of(&format!("{}/{}", file.id, sf.id))).shuffle(&mut all);
                    for (i, (ok, l)) in all.into_iter().enumerate() {
                        let id = ((b'a' + i as u8) as char).to_string();
                        if ok {
                            step.right = Some(id.clone());
                        }
                        step.options.push((id, l));
                    }
                    if step.options.len() < 2 {
                        step.missing = Some(Missing {
                            vi: "Dữ liệu không đủ để tạo các phương án trả lời.".into(),
                            en: "The data gives too few options for this question.".into(),
                        });
                    }
                } else if step.missing.is_none() {
                    step.missing = Some(Missing {
                        vi: "Câu hỏi này không có phương án.".into(),
                        en: "This question has no options.".into(),
                    });
                }
            }
            if let Some(m) = &step.missing {
                if !sf.optional && missing.is_none() {
                    missing = Some(m.clone());
                }
                if sf.optional {
                    continue;
                }
            }
            steps.push(step);
        }
        lessons.push(GenLesson {
            file,
            steps,
            missing,
        });
    }
    Ok(Generated {
        data_version: version.to_string(),
        lessons,
        langs,
    })
}

async fn generated(st: &PortalState) -> Result<Arc<Generated>> {
    st.lessons
        .cell
        .get_or_try_init(|| async {
            let index = st.index.clone();
            let version = st
                .etag
                .trim_start_matches("W/")
                .trim_matches('"')
                .to_string();
            let dir = st.portal.lessons_dir.clone();
            let practice = st.portal.practice_import;
            let off = (!practice).then(|| Missing {
                vi: "Bài thực hành nhập dữ liệu đã bị tắt trên máy chủ này.".into(),
                en: "The practice import is turned off on this server.".into(),
            });
            let built = tokio::task::spawn_blocking(move || -> anyhow::Result<Generated> {
                let t = std::time::Instant::now();
                let files = load_files(dir.as_deref())?;
                let facts = if practice {
                    super::practice::facts(&*index)
                } else {
                    BTreeMap::new()
                };
                let mut g = generate(&*index, &version, files, facts)?;
                if let Some(off) = off {
                    for l in &mut g.lessons {
                        let practice_steps = l
                            .steps
                            .iter()
                            .any(|s| s.file.kind == StepKind::PracticeImport);
                        if practice_steps && l.missing.is_some() {
                            l.missing = Some(off.clone());
                        }
                        for s in l
                            .steps
                            .iter_mut()
                            .filter(|s| s.file.kind == StepKind::PracticeImport)
                        {
                            s.missing = Some(off.clone());
                        }
                    }
                }
                tracing::info!(
                    "lessons generated for data version {version} in {:.2}s",
                    t.elapsed().as_secs_f64()
                );
                Ok(g)
            })
            .await
            .map_err(|e| AppError::Internal(format!("lesson generation failed: {e}")))?
            .map_err(|e| AppError::Internal(format!("lessons: {e:#}")))?;
            Ok::<_, AppError>(Arc::new(built))
        })
        .await
        .cloned()
}

// ------------------------------------------------------------------------ the answers

/// The query of the lesson routes: the language of the texts.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct LangQuery {
    /// Language of the texts: `vi` (the default), `en`, or another language the lesson
    /// files are written in
    #[schemars(extend("default" = "vi"))]
    lang: Option<String>,
}

/// `GET /api/v1/lessons`: the lessons generated from the data the server holds (contracts
/// §1), never their answers.
#[derive(Debug, Serialize, JsonSchema)]
pub struct LessonList {
    /// The data version the lessons were generated from (the store's ETag without quotes).
    pub data_version: String,
    /// The language of the texts.
    pub lang: String,
    /// The lessons, in their order.
    pub lessons: Vec<LessonOut>,
}

/// One lesson of the listing.
#[derive(Debug, Serialize, JsonSchema)]
pub struct LessonOut {
    /// The lesson's id (the `{lesson}` of its steps' routes).
    pub id: String,
    /// Its place in the course (lessons are listed by it).
    pub order: u32,
    /// Its title.
    pub title: String,
    /// What it teaches, in a sentence or two.
    pub summary: String,
    /// About how long it takes, in minutes.
    pub minutes: u32,
    /// Who it is for (e.g. `citizen`, `official`); empty for everyone.
    pub audience: Vec<String>,
    /// The printable handout of the lesson (a path on this server).
    pub handout: String,
    /// Whether the store holds what the lesson needs.
    pub available: bool,
    /// Why the lesson is not available (only when `available` is false).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Its steps, in order (optional steps the data cannot make are left out).
    pub steps: Vec<StepOut>,
}

/// One step of a lesson in the listing: what to do and what it points at, never its answer.
#[derive(Debug, Serialize, JsonSchema)]
pub struct StepOut {
    /// The step's id (the `{step}` of its routes).
    pub id: String,
    /// What the trainee does, hence the shape of the answer `check` takes.
    pub kind: StepKind,
    /// Its title (plain text).
    pub title: String,
    /// Its text, Markdown rendered to HTML (raw HTML escaped, only web links kept).
    pub html: String,
    /// A CSS selector of the control the app highlights, or null.
    pub control: Option<String>,
    /// What the step was generated for, or null when it points at nothing.
    pub target: Option<Target>,
    /// The options of a `choose` step, shuffled (only on `choose` steps).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<ChoiceOption>>,
    /// The unit of a `number` step's answer (`m²`, `%`, `°`, `tầng`/`floors`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Whether the store holds what the step needs.
    pub available: bool,
    /// Why the step is not available (only when `available` is false).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// An option of a `choose` step.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ChoiceOption {
    /// Its id (`a`, `b`, …): the `option` of the answer.
    pub id: String,
    /// What it says.
    pub label: String,
}

/// The body of `check`: the trainee's answer.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckBody {
    /// The answer, in the shape of the step's kind: read `{}`, open_parcel
    /// `{"commune", "sheet", "parcel", "n"}`, toggle_layer `{"visible": [layer group id, …]}`,
    /// choose `{"option"}`, text `{"text"}`, number `{"value"}`, site `{"geometry"}` (a
    /// GeoJSON Polygon or MultiPolygon, WGS 84), practice_import `{"value"}`.
    pub answer: Value,
}

/// The answer of `check`: right with the explanation, or wrong with a hint (never the
/// answer).
#[derive(Debug, Serialize, JsonSchema)]
pub struct Checked {
    /// Whether the answer is right.
    pub correct: bool,
    /// Why it is right (only when it is).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
    /// What to look at again (only when it is wrong).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// The answer of `show` ("show me").
#[derive(Debug, Serialize, JsonSchema)]
pub struct Shown {
    /// The step's answer in the shape `check` takes, for the app to perform.
    pub answer: Value,
    /// Why it is the answer.
    pub explanation: String,
}

// ------------------------------------------------------------------------ rendering

fn lang_of(lang: Option<&str>, g: &Generated) -> Result<String> {
    let lang = lang.unwrap_or("vi");
    if g.langs.contains(lang) || REQUIRED_LANGS.contains(&lang) {
        Ok(lang.to_string())
    } else {
        Err(AppError::bad(format!(
            "lang '{}' is not offered; languages: {}",
            crate::params::clip(lang),
            g.langs.iter().cloned().collect::<Vec<_>>().join(", ")
        )))
    }
}

fn text_in<'t>(t: &'t Texts, lang: &str) -> &'t str {
    t.get(lang)
        .or_else(|| t.get("vi"))
        .map(String::as_str)
        .unwrap_or("")
}

fn missing_in(m: &Missing, lang: &str) -> String {
    if lang == "vi" {
        m.vi.clone()
    } else {
        m.en.clone()
    }
}

/// Markdown punctuation a filled value must not bring in.
const MD_SPECIAL: &str = "\\`*_{}[]<>()#+-.!|~&";

/// Replaces the placeholders of a Markdown text: values are escaped for Markdown outside
/// code, and inserted as they are inside fenced code blocks (the renderer escapes HTML);
/// inside an inline code span a value loses its backticks.
fn fill_markdown(text: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut fenced = false;
    for line in text.split_inclusive('\n') {
        if line.trim_start().starts_with("```") || line.trim_start().starts_with("~~~") {
            fenced = !fenced;
            out.push_str(line);
            continue;
        }
        let mut backticks = 0usize;
        fill_with(
            line,
            vars,
            &mut out,
            |value, before_ticks, out| {
                if fenced {
                    out.push_str(value);
                } else if before_ticks % 2 == 1 {
                    out.extend(value.chars().filter(|c| *c != '`'));
                } else {
                    for c in value.chars() {
                        if MD_SPECIAL.contains(c) {
                            out.push('\\');
                        }
                        out.push(c);
                    }
                }
            },
            &mut backticks,
        );
    }
    out
}

/// Replaces the placeholders of a plain text with the values as they are.
fn fill_plain(text: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut ticks = 0;
    fill_with(
        text,
        vars,
        &mut out,
        |v, _, out| out.push_str(v),
        &mut ticks,
    );
    out
}

fn fill_with(
    text: &str,
    vars: &BTreeMap<String, String>,
    out: &mut String,
    mut put: impl FnMut(&str, usize, &mut String),
    backticks: &mut usize,
) {
    let mut rest = text;
    while let Some(i) = rest.find(['{', '}', '`']) {
        out.push_str(&rest[..i]);
        let c = rest.as_bytes()[i];
        let after = &rest[i + 1..];
        if c == b'`' {
            *backticks += 1;
            out.push('`');
            rest = after;
        } else if c == b'{' && after.starts_with('{') {
            out.push('{');
            rest = &after[1..];
        } else if c == b'}' {
            out.push('}');
            rest = after.strip_prefix('}').unwrap_or(after);
        } else if let Some(end) = after.find('}') {
            let name = &after[..end];
            match vars.get(name) {
                Some(v) => put(v, *backticks, out),
                None => out.push_str(&rest[i..i + end + 2]),
            }
            rest = &after[end + 1..];
        } else {
            out.push('{');
            rest = after;
        }
    }
    out.push_str(rest);
}

/// Markdown to HTML with raw HTML escaped and only web, relative and in-page links kept.
fn render_markdown(md: &str) -> String {
    use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag};
    let safe_url = |u: &str| {
        let l = u.trim().to_ascii_lowercase();
        l.starts_with("http://")
            || l.starts_with("https://")
            || l.starts_with('/')
            || l.starts_with('#')
            || l.starts_with("mailto:")
    };
    let parser = Parser::new_ext(md, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH).map(
        |e| match e {
            Event::Html(s) | Event::InlineHtml(s) => Event::Text(s),
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) if !safe_url(&dest_url) => Event::Start(Tag::Link {
                link_type,
                dest_url: CowStr::Borrowed("#"),
                title,
                id,
            }),
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) if !safe_url(&dest_url) => Event::Start(Tag::Image {
                link_type,
                dest_url: CowStr::Borrowed("#"),
                title,
                id,
            }),
            other => other,
        },
    );
    let mut out = String::new();
    html::push_html(&mut out, parser);
    out
}

fn vars_with_base(step: &GenStep, base_url: &str) -> BTreeMap<String, String> {
    let mut vars = step.vars.clone();
    vars.insert("base_url".into(), base_url.to_string());
    vars
}

fn step_out(step: &GenStep, lang: &str, base_url: &str) -> StepOut {
    let f = &step.file;
    let vars = vars_with_base(step, base_url);
    let options = (f.kind == StepKind::Choose).then(|| {
        step.options
            .iter()
            .map(|(id, l)| ChoiceOption {
                id: id.clone(),
                label: if lang == "vi" { &l.vi } else { &l.en }.clone(),
            })
            .collect()
    });
    let unit = match &step.expected {
        Some(Expected::Number { unit, .. }) if f.kind == StepKind::Number => {
            Some(unit_label(unit, lang))
        }
        _ => None,
    };
    StepOut {
        id: f.id.clone(),
        kind: f.kind,
        title: fill_plain(text_in(&f.title, lang), &vars),
        html: render_markdown(&fill_markdown(text_in(&f.text, lang), &vars)),
        control: f.control.as_ref().map(|c| fill_plain(c, &vars)),
        target: step.target.clone(),
        options,
        unit,
        available: step.missing.is_none(),
        reason: step.missing.as_ref().map(|m| missing_in(m, lang)),
    }
}

fn lesson_out(l: &GenLesson, lang: &str, base_url: &str) -> LessonOut {
    let f = &l.file;
    LessonOut {
        id: f.id.clone(),
        order: f.order,
        title: text_in(&f.title, lang).to_string(),
        summary: text_in(&f.summary, lang).to_string(),
        minutes: f.minutes,
        audience: f.audience.clone(),
        handout: format!("/learn/{}/handout.html", f.id),
        available: l.missing.is_none(),
        reason: l.missing.as_ref().map(|m| missing_in(m, lang)),
        steps: l
            .steps
            .iter()
            .map(|s| step_out(s, lang, base_url))
            .collect(),
    }
}

fn document_of(g: &Generated, base_url: &str, lang: &str) -> LessonList {
    LessonList {
        data_version: g.data_version.clone(),
        lang: lang.to_string(),
        lessons: g
            .lessons
            .iter()
            .map(|l| lesson_out(l, lang, base_url))
            .collect(),
    }
}

/// The lesson listing of contracts §1 for `lang` with links on `base_url` (for handouts):
/// the same document `GET /api/v1/lessons` answers. An unknown language is a 400.
pub async fn document(st: &PortalState, base_url: &str, lang: &str) -> Result<Value> {
    let g = generated(st).await?;
    let lang = lang_of(Some(lang), &g)?;
    serde_json::to_value(document_of(&g, base_url, &lang))
        .map_err(|e| AppError::Internal(format!("the lesson listing: {e}")))
}

// ------------------------------------------------------------------------ handlers

/// `GET /api/v1/lessons?lang=`
async fn list(
    State(st): State<PortalState>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Result<Response> {
    let g = generated(&st).await?;
    let lang = lang_of(q.lang.as_deref(), &g)?;
    Ok(Json(document_of(&g, &crate::proxy::base_url(&headers), &lang)).into_response())
}

fn find_step<'g>(
    g: &'g Generated,
    lesson: &str,
    step: &str,
) -> Result<(&'g GenLesson, &'g GenStep)> {
    let clip = crate::params::clip;
    if lesson.chars().count() > MAX_ID_CHARS || step.chars().count() > MAX_ID_CHARS {
        return Err(AppError::not_found(
            "no such lesson or step (ids are short)",
        ));
    }
    let l = g
        .lessons
        .iter()
        .find(|l| l.file.id == lesson)
        .ok_or_else(|| {
            AppError::not_found(format!(
                "no lesson '{}'; lessons: {}",
                clip(lesson),
                g.lessons
                    .iter()
                    .map(|l| l.file.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
    let s = l.steps.iter().find(|s| s.file.id == step).ok_or_else(|| {
        AppError::not_found(format!(
            "lesson '{}' has no step '{}'; steps: {}",
            l.file.id,
            clip(step),
            l.steps
                .iter()
                .map(|s| s.file.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    if let Some(m) = s.missing.as_ref().or(l.missing.as_ref()) {
        return Err(AppError::not_found(format!(
            "lesson '{}' is not available on this server's data: {}",
            l.file.id, m.en
        )));
    }
    Ok((l, s))
}

/// Reads the `answer` member of a check body (JSON object, under [`MAX_CHECK_BODY_BYTES`]).
fn answer_of(body: &[u8]) -> Result<Value> {
    if body.len() > MAX_CHECK_BODY_BYTES {
        return Err(AppError::TooLarge(format!(
            "the body is {} bytes; at most {MAX_CHECK_BODY_BYTES}",
            body.len()
        )));
    }
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        AppError::bad(format!(
            "the body is not valid JSON ({e}); send {{\"answer\": …}} as contracts §1 shows"
        ))
    })?;
    let o = v
        .as_object()
        .ok_or_else(|| AppError::bad("the body must be a JSON object {\"answer\": …}"))?;
    if let Some(k) = o.keys().find(|k| *k != "answer") {
        return Err(AppError::bad(format!(
            "unknown member '{}'; the body is {{\"answer\": …}}",
            crate::params::clip(k)
        )));
    }
    serde_json::from_value::<CheckBody>(v)
        .map(|b| b.answer)
        .map_err(|_| AppError::bad("the body has no 'answer'"))
}

fn members<'v>(a: &'v Value, allowed: &[&str], shape: &str) -> Result<&'v Map<String, Value>> {
    let o = a
        .as_object()
        .ok_or_else(|| AppError::bad(format!("the answer must be an object: {shape}")))?;
    if let Some(k) = o.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(AppError::bad(format!(
            "unknown member '{}' in the answer; expected {shape}",
            crate::params::clip(k)
        )));
    }
    Ok(o)
}

/// A whole number given as a JSON number or a string of digits.
fn whole(v: Option<&Value>, what: &str, shape: &str) -> Result<Option<i64>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .filter(|n| (0..=1_000_000_000).contains(n))
            .map(Some)
            .ok_or_else(|| {
                AppError::bad(format!(
                    "{what} must be a whole number from 0 to 10^9; expected {shape}"
                ))
            }),
        Some(Value::String(s)) if s.trim().len() <= 12 => s
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| (0..=1_000_000_000).contains(n))
            .map(Some)
            .ok_or_else(|| {
                AppError::bad(format!("{what} must be a whole number; expected {shape}"))
            }),
        Some(_) => Err(AppError::bad(format!(
            "{what} must be a whole number; expected {shape}"
        ))),
    }
}

fn short_text<'v>(v: Option<&'v Value>, what: &str, shape: &str) -> Result<&'v str> {
    match v {
        Some(Value::String(s)) if s.chars().count() <= MAX_TEXT_ANSWER => Ok(s),
        Some(Value::String(_)) => Err(AppError::bad(format!(
            "{what} is longer than {MAX_TEXT_ANSWER} characters"
        ))),
        _ => Err(AppError::bad(format!(
            "{what} must be a string; expected {shape}"
        ))),
    }
}

/// A finite number given as a JSON number or a string ("36,2" or "36.2").
fn number_of(v: Option<&Value>, shape: &str) -> Result<f64> {
    let n = match v {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) if s.len() <= 40 => s
            .trim()
            .replace(' ', "")
            .replace(',', ".")
            .parse::<f64>()
            .ok(),
        _ => None,
    };
    n.filter(|n| n.is_finite())
        .ok_or_else(|| AppError::bad(format!("value must be a finite number; expected {shape}")))
}

fn folded(s: &str) -> String {
    fold(s.trim())
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase()
}

fn same_parcel(a: &ParcelRef, commune: &str, sheet: i64, parcel: i64, n: Option<i64>) -> bool {
    a.commune == commune.trim()
        && a.sheet.parse::<i64>().ok() == Some(sheet)
        && a.parcel.parse::<i64>().ok() == Some(parcel)
        && match a.n {
            Some(k) => n == Some(k as i64),
            None => n.is_none() || n == Some(1),
        }
}

/// The outcome of checking an answer: correct, or wrong with an extra remark for the hint.
enum Outcome {
    Right,
    Wrong(Option<String>),
}

async fn judge(st: &PortalState, step: &GenStep, answer: &Value, lang: &str) -> Result<Outcome> {
    let kind = step.file.kind;
    let right = |ok: bool| {
        Ok(if ok {
            Outcome::Right
        } else {
            Outcome::Wrong(None)
        })
    };
    match (kind, &step.expected) {
        (StepKind::Read, _) => {
            members(answer, &[], "{}")?;
            right(true)
        }
        (StepKind::OpenParcel, Some(Expected::Parcel { accept, .. })) => {
            let shape = "{\"commune\": \"31150\", \"sheet\": \"1\", \"parcel\": \"312\", \"n\": 2}";
            let o = members(answer, &["commune", "sheet", "parcel", "n"], shape)?;
            let commune = short_text(o.get("commune"), "commune", shape)?;
            let sheet = whole(o.get("sheet"), "sheet", shape)?
                .ok_or_else(|| AppError::bad(format!("sheet is missing; expected {shape}")))?;
            let parcel = whole(o.get("parcel"), "parcel", shape)?
                .ok_or_else(|| AppError::bad(format!("parcel is missing; expected {shape}")))?;
            let n = whole(o.get("n"), "n", shape)?;
            right(
                accept
                    .iter()
                    .any(|a| same_parcel(a, commune, sheet, parcel, n)),
            )
        }
        (StepKind::ToggleLayer, Some(Expected::Layer { layer, visible })) => {
            let shape = "{\"visible\": [\"<layer group id>\", …]}";
            let o = members(answer, &["visible"], shape)?;
            let list = o.get("visible").and_then(Value::as_array).ok_or_else(|| {
                AppError::bad(format!("visible must be an array; expected {shape}"))
            })?;
            if list.len() > MAX_VISIBLE_GROUPS {
                return Err(AppError::TooLarge(format!(
                    "{} layer groups; at most {MAX_VISIBLE_GROUPS}",
                    list.len()
                )));
            }
            let mut on = false;
            for v in list {
                let s = short_text(Some(v), "each visible group", shape)?;
                on |= s == layer;
            }
            right(on == *visible)
        }
        (StepKind::Choose, _) => {
            let shape = "{\"option\": \"b\"}";
            let o = members(answer, &["option"], shape)?;
            let id = short_text(o.get("option"), "option", shape)?;
            if !step.options.iter().any(|(i, _)| i == id) {
                return Err(AppError::bad(format!(
                    "option '{}' is not one of {}",
                    crate::params::clip(id),
                    step.options
                        .iter()
                        .map(|o| o.0.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            right(step.right.as_deref() == Some(id))
        }
        (StepKind::Text, Some(Expected::Text { value, .. })) => {
            let shape = "{\"text\": \"ODT\"}";
            let o = members(answer, &["text"], shape)?;
            let t = short_text(o.get("text"), "text", shape)?;
            right(folded(t) == folded(value))
        }
        (
            StepKind::Number,
            Some(Expected::Number {
                value, tolerance, ..
            }),
        ) => {
            let shape = "{\"value\": 36.2}";
            let o = members(answer, &["value"], shape)?;
            let v = number_of(o.get("value"), shape)?;
            right((v - value).abs() <= tolerance + 1e-9)
        }
        (StepKind::PracticeImport, Some(Expected::Fact(fact))) => {
            let shape = "{\"value\": 3} or {\"value\": \"tcvn3\"}";
            let o = members(answer, &["value"], shape)?;
            let given = o
                .get("value")
                .ok_or_else(|| AppError::bad(format!("value is missing; expected {shape}")))?;
            match given {
                Value::Number(_) | Value::Bool(_) => {}
                Value::String(s) if s.chars().count() <= MAX_TEXT_ANSWER => {}
                Value::String(_) => {
                    return Err(AppError::bad(format!(
                        "value is longer than {MAX_TEXT_ANSWER} characters"
                    )))
                }
                _ => {
                    return Err(AppError::bad(format!(
                        "value must be a number or a string; expected {shape}"
                    )))
                }
            }
            let ok = match fact {
                // A word where a count is asked is a wrong answer, not a malformed one.
                Value::Number(n) => number_of(Some(given), shape)
                    .is_ok_and(|v| (v - n.as_f64().unwrap_or(f64::NAN)).abs() < 1e-9),
                Value::Bool(b) => {
                    let t = match given {
                        Value::Bool(g) => *g,
                        Value::String(s) => {
                            matches!(folded(s).as_str(), "TRUE" | "YES" | "CO" | "1")
                        }
                        _ => false,
                    };
                    t == *b
                }
                Value::String(s) => match given {
                    Value::String(g) if g.chars().count() <= MAX_TEXT_ANSWER => {
                        folded(g) == folded(s)
                    }
                    Value::String(_) => return Err(AppError::bad("value is too long")),
                    _ => false,
                },
                other => given == other,
            };
            right(ok)
        }
        (StepKind::Site, Some(Expected::Site { layer, id, .. })) => {
            let shape = "{\"geometry\": <GeoJSON Polygon or MultiPolygon, WGS 84>}";
            let o = members(answer, &["geometry"], shape)?;
            let g = o
                .get("geometry")
                .ok_or_else(|| AppError::bad(format!("geometry is missing; expected {shape}")))?;
            match g.get("type").and_then(Value::as_str) {
                Some("Polygon") | Some("MultiPolygon") => {}
                _ => {
                    return Err(AppError::bad(format!(
                        "geometry must be a GeoJSON Polygon or MultiPolygon; expected {shape}"
                    )))
                }
            }
            let mp = crate::geojson::parse_site(g)?;
            let (index, layer, id) = (st.index.clone(), layer.clone(), *id);
            // The site's report, stopped at the reports' deadline or when the client leaves.
            let cancel = quyhoach_data::planning::Cancel::with_timeout(crate::api::REPORT_DEADLINE);
            let _stop_when_dropped = cancel.guard();
            let problem = tokio::task::spawn_blocking(move || {
                check_site(&*index, &layer, id, &mp, &cancel).map_err(AppError::from)
            })
            .await
            .map_err(|e| AppError::Internal(format!("site check failed: {e}")))??;
            Ok(match problem {
                None => Outcome::Right,
                Some(p) => Outcome::Wrong(Some(site_remark(&p, lang))),
            })
        }
        _ => Err(AppError::Internal(format!(
            "step '{}' has no expected answer",
            step.file.id
        ))),
    }
}

fn site_remark(p: &SiteProblem, lang: &str) -> String {
    let vi = lang == "vi";
    match p {
        SiteProblem::TooSmall(a) => {
            if vi {
                format!("Khu đất vẽ chỉ rộng {a:.0} m²; cần ít nhất {SITE_MIN_M2:.0} m².")
            } else {
                format!("The site drawn is only {a:.0} m²; it needs at least {SITE_MIN_M2:.0} m².")
            }
        }
        SiteProblem::TooLarge(a) => {
            if vi {
                format!("Khu đất vẽ rộng {a:.0} m²; tối đa {SITE_MAX_M2:.0} m².")
            } else {
                format!("The site drawn is {a:.0} m²; at most {SITE_MAX_M2:.0} m².")
            }
        }
        SiteProblem::OutsideZone(pct) => {
            if vi {
                format!("Chỉ {pct:.0}% khu đất vẽ nằm trong khu chức năng được chỉ định; cần ít nhất {SITE_IN_ZONE_PCT:.0}%.")
            } else {
                format!("Only {pct:.0}% of the site drawn lies in the zone asked for; at least {SITE_IN_ZONE_PCT:.0}% must.")
            }
        }
    }
}

/// The answer "show me" performs, in the shape `check` takes.
fn shown_answer(step: &GenStep) -> Value {
    match (&step.file.kind, &step.expected) {
        (StepKind::OpenParcel, Some(Expected::Parcel { show, .. })) => {
            let mut v =
                json!({"commune": show.commune, "sheet": show.sheet, "parcel": show.parcel});
            if let (Some(n), Some(o)) = (show.n, v.as_object_mut()) {
                o.insert("n".into(), n.into());
            }
            v
        }
        (StepKind::ToggleLayer, Some(Expected::Layer { layer, visible })) => {
            if *visible {
                json!({"visible": [layer]})
            } else {
                json!({"visible": []})
            }
        }
        (StepKind::Choose, _) => json!({"option": step.right}),
        (StepKind::Text, Some(Expected::Text { value, .. })) => json!({"text": value}),
        (StepKind::Number, Some(Expected::Number { value, .. })) => json!({"value": value}),
        (StepKind::PracticeImport, Some(Expected::Fact(v))) => json!({"value": v}),
        (StepKind::Site, Some(Expected::Site { show, .. })) => {
            json!({"geometry": quyhoach_data::index::geojson(&geo_types::Geometry::MultiPolygon(show.clone()))})
        }
        _ => json!({}),
    }
}

/// The answer as words, for `{answer}` in explanations.
fn answer_words(step: &GenStep, lang: &str) -> String {
    match &step.expected {
        Some(Expected::Text { value, .. }) => value.clone(),
        Some(Expected::Number { value, unit, .. }) => {
            let u = unit_label(unit, lang);
            if matches!(u.as_str(), "°" | "%" | "×") {
                format!("{}{u}", number_label(*value, lang))
            } else {
                format!("{} {u}", number_label(*value, lang))
            }
        }
        Some(Expected::Choice { right, .. }) => {
            if lang == "vi" {
                right.vi.clone()
            } else {
                right.en.clone()
            }
        }
        Some(Expected::Fact(v)) => match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        },
        Some(Expected::Parcel { show, .. }) => {
            format!("{}/{}/{}", show.commune, show.sheet, show.parcel)
        }
        Some(Expected::Layer { layer, .. }) => layer.clone(),
        _ => String::new(),
    }
}

fn explanation(step: &GenStep, lang: &str, base_url: &str) -> String {
    let mut vars = vars_with_base(step, base_url);
    vars.insert("answer".into(), answer_words(step, lang));
    step.file
        .explanation
        .as_ref()
        .map(|e| fill_plain(text_in(e, lang), &vars))
        .unwrap_or_default()
}

type StepPath = UrlPath<(String, String)>;

/// `POST /api/v1/lessons/{lesson}/steps/{step}/check`
async fn check(
    State(st): State<PortalState>,
    headers: HeaderMap,
    UrlPath((lesson, step)): StepPath,
    Query(q): Query<LangQuery>,
    body: Bytes,
) -> Result<Response> {
    let g = generated(&st).await?;
    let lang = lang_of(q.lang.as_deref(), &g)?;
    let (_, s) = find_step(&g, &lesson, &step)?;
    let answer = answer_of(&body)?;
    let base = crate::proxy::base_url(&headers);
    Ok(Json(match judge(&st, s, &answer, &lang).await? {
        Outcome::Right => Checked {
            correct: true,
            explanation: Some(explanation(s, &lang, &base)),
            hint: None,
        },
        Outcome::Wrong(extra) => {
            let vars = vars_with_base(s, &base);
            let mut hint = s
                .file
                .hint
                .as_ref()
                .map(|h| fill_plain(text_in(h, &lang), &vars))
                .unwrap_or_default();
            if let Some(x) = extra {
                hint = format!("{x} {hint}").trim().to_string();
            }
            Checked {
                correct: false,
                explanation: None,
                hint: Some(hint),
            }
        }
    })
    .into_response())
}

/// `POST /api/v1/lessons/{lesson}/steps/{step}/show`
async fn show(
    State(st): State<PortalState>,
    headers: HeaderMap,
    UrlPath((lesson, step)): StepPath,
    Query(q): Query<LangQuery>,
    body: Bytes,
) -> Result<Response> {
    if body.len() > MAX_CHECK_BODY_BYTES {
        return Err(AppError::TooLarge(format!(
            "at most {MAX_CHECK_BODY_BYTES} bytes"
        )));
    }
    let g = generated(&st).await?;
    let lang = lang_of(q.lang.as_deref(), &g)?;
    let (_, s) = find_step(&g, &lesson, &step)?;
    let base = crate::proxy::base_url(&headers);
    Ok(Json(Shown {
        answer: shown_answer(s),
        explanation: explanation(s, &lang, &base),
    })
    .into_response())
}

/// This module's routes.
pub fn routes() -> Routes {
    vec![
        ("/api/v1/lessons", &["get"], get(list)),
        (
            "/api/v1/lessons/{lesson}/steps/{step}/check",
            &["post"],
            post(check),
        ),
        (
            "/api/v1/lessons/{lesson}/steps/{step}/show",
            &["post"],
            post(show),
        ),
    ]
}

/// The OpenAPI paths of [`routes`].
pub fn openapi_paths(sc: &mut Schemas) -> Map<String, Value> {
    let tag = "lessons";
    let id = || json!({"type": "string", "maxLength": MAX_ID_CHARS});
    let step_op = |summary: &str| {
        Op::new(summary, tag)
            .path("lesson", "Lesson id, see `GET /api/v1/lessons`", id())
            .path("step", "Step id within the lesson", id())
            .query::<LangQuery>()
    };
    let described = |op: Op, description: &str| {
        let mut v = op.done();
        v["description"] = description.into();
        v
    };
    let mut m = Map::new();
    let list = Op::new("Lessons generated from the data the server holds", tag)
        .query::<LangQuery>()
        .json::<LessonList>(sc, "200", "The lessons")
        .problems(&["400", "500"]);
    m.insert("/api/v1/lessons".into(), json!({"get": described(list,
        "Every lesson with its steps: kind, Markdown text rendered to HTML, the control to highlight and the target it was generated for (a parcel link, a place, a plan, a zone, a layer, a certificate corner) — never the answers. `available: false` with a `reason` when the store lacks what a lesson needs.")}));
    let check = step_op("Check a trainee's answer to a step")
        .body::<CheckBody>(sc, "The answer, in the shape of the step's kind", true)
        .json::<Checked>(
            sc,
            "200",
            "Right (with the explanation) or wrong (with a hint)",
        )
        .problems(&["400", "404", "413", "500", "503"]);
    m.insert("/api/v1/lessons/{lesson}/steps/{step}/check".into(), json!({"post": described(check,
        "A wrong answer gets a hint, never the answer; a right one the explanation. A `site` answer is checked with the real site report (503 when it takes too long).")}));
    let show = step_op("The answer of a step (\"show me\")")
        .json::<Shown>(sc, "200", "The answer")
        .problems(&["400", "404", "413", "500"]);
    m.insert("/api/v1/lessons/{lesson}/steps/{step}/show".into(), json!({"post": described(show,
        "The answer in the shape `check` takes, for the app to perform, and its explanation. Any body is ignored.")}));
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_lessons_are_valid_and_cover_the_contract_ids() {
        let files: Vec<(String, String)> = BUILTIN
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect();
        let lessons = parse_all(&files).expect("the built-in lessons parse");
        let ids: Vec<&str> = lessons.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "read-map",
                "find-parcel",
                "coordinates",
                "affected",
                "plans-disagree",
                "zoning-site",
                "qgis-gdal",
                "prepare-data"
            ]
        );
    }

    #[test]
    fn a_bad_file_names_what_is_wrong() {
        let base = BUILTIN[0].1;
        let bad = base.replacen("kind: toggle_layer", "kind: juggle", 1);
        let e = format!(
            "{:#}",
            parse_file("x.yaml", &bad).expect_err("unknown kind")
        );
        assert!(e.contains("x.yaml") && e.contains("juggle"), "{e}");
        let bad = base.replacen("{plan_name}", "{nope}", 1);
        let e = format!(
            "{:#}",
            parse_file("y.yaml", &bad).expect_err("unknown placeholder")
        );
        assert!(e.contains("y.yaml") && e.contains("{nope}"), "{e}");
    }

    #[test]
    fn values_cannot_inject_markdown_or_html() {
        let mut vars = BTreeMap::new();
        vars.insert(
            "v".to_string(),
            "<script>x</script> [a](javascript:alert(1)) *b*".to_string(),
        );
        let html = render_markdown(&fill_markdown("Name: {v}\n\n```\ncmd {v}\n```\n", &vars));
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("href=\"javascript"), "{html}");
        assert!(!html.contains("<em>"), "{html}");
        let raw = render_markdown("<img src=x onerror=alert(1)> [x](javascript:alert(1))");
        assert!(
            !raw.contains("<img") && !raw.contains("javascript:"),
            "{raw}"
        );
    }

    #[test]
    fn placeholders_and_braces() {
        assert_eq!(placeholders("a {x} {{y}} b").expect("ok"), vec!["x"]);
        assert!(placeholders("a {x").is_err());
        assert!(placeholders("a {x y}").is_err());
        let mut vars = BTreeMap::new();
        vars.insert("x".to_string(), "1".to_string());
        assert_eq!(fill_plain("{x} {{x}}", &vars), "1 {x}");
    }
}
