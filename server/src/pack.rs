//! `quyhoach workshop pack`: the offline workshop kit — everything a trainer's laptop needs to
//! run the portal and its lessons for one commune with no internet.
//!
//! ```text
//! DIR/
//!   start.sh            serves the kit: ./start.sh [--listen ADDR] (default 0.0.0.0:8080)
//!   README.txt          how to run it (Vietnamese and English), Wi-Fi tips
//!   kit.json            what was packed: commune, box, layers and their counts, version
//!   bin/quyhoach        this program
//!   store/              the store cropped to the commune (its boundary's box plus a margin)
//!   web/                the built web app, with an offline-safe config.json
//!   lessons/            the lesson files (edit or translate them on the laptop)
//!   fonts/              the label fonts (DejaVu Sans)
//!   workshop.sqlite     the kit's own state (workshops, progress), made by start.sh
//! ```
//!
//! The kit is written into `DIR.tmp-<pid>-<time>` beside `DIR` and renamed into place when
//! complete: a failed or interrupted pack leaves no `DIR` (and the next pack removes the
//! leftovers of a killed one).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use quyhoach_data::crop::{self, CropReport};
use quyhoach_data::store::{human_bytes, Store};

/// `quyhoach workshop …`
#[derive(Subcommand)]
pub enum WorkshopCommand {
    /// Pack the offline workshop kit for one commune: the program, the store cropped to the
    /// commune, the web app, the lessons, the fonts and `start.sh`, into a new directory.
    Pack(Box<PackArgs>),
}

/// The arguments of `quyhoach workshop pack`.
#[derive(Args, Debug, Clone)]
pub struct PackArgs {
    /// Store directory.
    #[arg(long, env = "QUYHOACH_STORE", default_value = "demo-store", value_parser = crate::store_dir)]
    pub store: PathBuf,
    /// The commune's code (in the store's boundaries layer; see `quyhoach info`).
    #[arg(long)]
    pub commune: String,
    /// The kit's directory (must not exist, or be empty; see --force).
    #[arg(long)]
    pub out: PathBuf,
    /// Metres around the commune's boundary box that the kit also holds (neighbouring
    /// parcels, roads and zones at its edges).
    #[arg(long, default_value_t = 500.0)]
    pub margin_m: f64,
    /// Replace an existing, non-empty kit directory.
    #[arg(long)]
    pub force: bool,
    /// The built web app (default: what `quyhoach serve` serves: `QUYHOACH_WEB_DIR`, else
    /// `web/dist`).
    #[arg(long, value_name = "DIR")]
    pub web_dir: Option<PathBuf>,
    /// A directory of lesson files to pack instead of the lessons built into the program.
    #[arg(long, env = "QUYHOACH_LESSONS", value_name = "DIR")]
    pub lessons: Option<PathBuf>,
    /// Directory holding DejaVuSans.ttf and DejaVuSans-Bold.ttf (the map's label glyphs).
    #[arg(long, env = "QUYHOACH_FONTS_DIR", default_value = crate::glyphs::DEFAULT_FONTS_DIR)]
    pub fonts_dir: PathBuf,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Runs a `workshop` command.
pub fn run(command: WorkshopCommand) -> anyhow::Result<()> {
    match command {
        WorkshopCommand::Pack(args) => {
            let kit = pack(&args)?;
            print!("{}", kit.summary());
            Ok(())
        }
    }
}

/// Largest margin accepted, metres (a kit is for a commune, not a province).
pub const MAX_MARGIN_M: f64 = 20_000.0;

/// What `pack` wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Kit {
    /// The kit's directory.
    pub dir: PathBuf,
    /// The commune's code.
    pub commune: String,
    /// Its name, when the boundary has one.
    pub commune_name: Option<String>,
    /// The margin, metres.
    pub margin_m: f64,
    /// The crop: box, layers, counts.
    pub crop: CropReport,
    /// Lesson files written.
    pub lesson_files: usize,
    /// Bytes of the kit.
    pub bytes: u64,
    /// What the kit's web config left out to stay offline.
    pub config_removed: Vec<String>,
}

impl Kit {
    /// The summary printed after packing.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "offline workshop kit {} ({})\n  commune {}{}, box [{:.5}, {:.5}, {:.5}, {:.5}] (boundary + {} m)\n",
            self.dir.display(),
            human_bytes(self.bytes),
            self.commune,
            self.commune_name
                .as_deref()
                .map(|n| format!(" {n}"))
                .unwrap_or_default(),
            self.crop.bbox[0],
            self.crop.bbox[1],
            self.crop.bbox[2],
            self.crop.bbox[3],
            self.margin_m
        );
        for l in &self.crop.layers {
            s.push_str(&format!(
                "  layer {:<24} {:>9} of {:>9} features{}\n",
                l.id,
                l.count,
                l.source_count,
                if l.kept {
                    ""
                } else {
                    "  (none here: left out)"
                }
            ));
            if !l.personal_columns_dropped.is_empty() {
                s.push_str(&format!(
                    "    personal data left out: {}\n",
                    l.personal_columns_dropped.join(", ")
                ));
            }
        }
        s.push_str(&format!(
            "  {} plan(s), {} lesson file(s)\n",
            self.crop.plans, self.lesson_files
        ));
        for r in &self.config_removed {
            s.push_str(&format!("  web config: {r}\n"));
        }
        s.push_str(&format!(
            "start it on the trainer's laptop: {}/start.sh   (see README.txt)\n",
            self.dir.display()
        ));
        s
    }
}

/// A stage of the pack, shown as it starts.
fn stage(quiet: bool, n: usize, text: &str) {
    if !quiet {
        eprintln!("[{n}/6] {text}");
    }
}

/// Writes the kit (see the module's documentation). Every input is checked before anything
/// is written; on any error nothing is left behind.
pub fn pack(args: &PackArgs) -> anyhow::Result<Kit> {
    // Check everything first.
    let code = args.commune.trim();
    if code.is_empty()
        || code.len() > 32
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
    {
        bail!(
            "--commune takes a commune code (letters, digits, '-', '_', '.'), got '{}'",
            args.commune
        );
    }
    if !(args.margin_m.is_finite() && (0.0..=MAX_MARGIN_M).contains(&args.margin_m)) {
        bail!(
            "--margin-m takes metres from 0 to {MAX_MARGIN_M}, got {}",
            args.margin_m
        );
    }
    let out = absolute(&args.out)?;
    let (parent, name) = match (out.parent(), out.file_name()) {
        (Some(p), Some(n)) => (p.to_path_buf(), n.to_string_lossy().to_string()),
        _ => bail!("--out {}: not a directory name", args.out.display()),
    };
    if !parent.is_dir() {
        if parent.exists() {
            bail!(
                "--out {}: {} is not a directory",
                args.out.display(),
                parent.display()
            );
        }
        bail!(
            "--out {}: the directory {} does not exist (create it first)",
            args.out.display(),
            parent.display()
        );
    }
    let replacing = match fs::symlink_metadata(&out) {
        Ok(m) if m.is_dir() => {
            let empty = fs::read_dir(&out)
                .with_context(|| format!("reading {}", out.display()))?
                .next()
                .is_none();
            if !empty && !args.force {
                bail!(
                    "{} exists and is not empty: choose a new directory, or pass --force to replace it",
                    out.display()
                );
            }
            true
        }
        Ok(_) => bail!("{} exists and is not a directory", out.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => return Err(e).with_context(|| format!("checking {}", out.display())),
    };
    let source = Store::open(&args.store)
        .with_context(|| format!("opening the store {}", args.store.display()))?;
    let commune = crop::find_commune(&source, code)?;
    let bbox = crop::widen_bbox(commune.bbox, args.margin_m);
    let web_dir = match &args.web_dir {
        Some(d) => d.clone(),
        None => crate::state::default_web_dir().context(
            "the web app is not built (no web/dist/index.html): run `npm run build --prefix web`, or name it with --web-dir",
        )?,
    };
    if !web_dir.join("index.html").is_file() {
        bail!(
            "--web-dir {}: no index.html there (build the web app with `npm run build --prefix web`)",
            web_dir.display()
        );
    }
    for (_, file) in crate::glyphs::FONTS {
        let p = args.fonts_dir.join(file);
        if !p.is_file() {
            bail!(
                "the label font {} is missing (install Debian's fonts-dejavu-core, or name the fonts' directory with --fonts-dir)",
                p.display()
            );
        }
    }
    let lessons = lesson_files(args.lessons.as_deref())?;
    if let Some(d) = &args.lessons {
        // The kit's server reads them at start: a bad file is refused now, not in the room.
        crate::portal::lessons::validate_dir(d)
            .with_context(|| format!("--lessons {}", d.display()))?;
    }
    let exe = program()?;
    if replacing {
        // --force must never delete what the kit is made from.
        let out_c =
            fs::canonicalize(&out).with_context(|| format!("resolving {}", out.display()))?;
        let mut sources = vec![
            ("the store", args.store.clone()),
            ("the web app", web_dir.clone()),
            ("the fonts", args.fonts_dir.clone()),
            ("this program", exe.clone()),
        ];
        if let Some(d) = &args.lessons {
            sources.push(("the lesson files", d.clone()));
        }
        for (what, p) in sources {
            if fs::canonicalize(&p).is_ok_and(|c| c.starts_with(&out_c)) {
                bail!(
                    "{} holds {what} ({}): the kit cannot replace it; choose another --out",
                    out.display(),
                    p.display()
                );
            }
        }
    }

    // Then write, into a temporary directory beside the kit's.
    sweep_leftovers(&parent, &name);
    let tmp = parent.join(format!("{name}.tmp-{}-{}", std::process::id(), nanos()));
    fs::create_dir(&tmp).with_context(|| {
        format!(
            "cannot write the kit in {}: creating {}",
            parent.display(),
            tmp.display()
        )
    })?;
    let guard = RemoveOnDrop(Some(tmp.clone()));

    stage(args.quiet, 1, "the program");
    let bin = tmp.join("bin");
    fs::create_dir(&bin).with_context(|| format!("creating {}", bin.display()))?;
    copy_file(&exe, &bin.join("quyhoach"))?;
    set_mode(&bin.join("quyhoach"), 0o755)?;
    strip_debug(&bin.join("quyhoach"));

    stage(
        args.quiet,
        2,
        &format!(
            "the store, cropped to commune {code} and {} m around it",
            args.margin_m
        ),
    );
    let bar = if args.quiet {
        indicatif::ProgressBar::hidden()
    } else {
        let b = indicatif::ProgressBar::new(0);
        b.set_style(
            indicatif::ProgressStyle::with_template("      {msg:<24} [{bar:30}] {pos}/{len}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    };
    let report = crop::crop_store(
        &source,
        &tmp.join("store"),
        bbox,
        &mut |layer, done, total| {
            bar.set_message(layer.to_string());
            bar.set_length(total);
            bar.set_position(done);
        },
    )?;
    bar.finish_and_clear();
    // The cropped store must load as the server loads it.
    quyhoach_data::index::Index::load(&tmp.join("store"))
        .context("checking the cropped store: it does not load")?;
    if !report.layers.iter().any(|l| l.kept) {
        bail!("nothing of the store lies in commune {code}'s area");
    }

    stage(args.quiet, 3, "the web app");
    copy_tree(&web_dir, &tmp.join("web"))?;
    let config_removed = offline_config(&tmp.join("web").join("config.json"))?;

    stage(args.quiet, 4, "the lessons and fonts");
    let lessons_dir = tmp.join("lessons");
    fs::create_dir(&lessons_dir).with_context(|| format!("creating {}", lessons_dir.display()))?;
    for (rel, content) in &lessons {
        let dest = lessons_dir.join(rel);
        if let Some(p) = dest.parent() {
            fs::create_dir_all(p).with_context(|| format!("creating {}", p.display()))?;
        }
        fs::write(&dest, content).with_context(|| format!("writing {}", dest.display()))?;
    }
    let fonts = tmp.join("fonts");
    fs::create_dir(&fonts).with_context(|| format!("creating {}", fonts.display()))?;
    for (_, file) in crate::glyphs::FONTS {
        copy_file(&args.fonts_dir.join(file), &fonts.join(file))?;
    }

    stage(args.quiet, 5, "start.sh, README.txt, kit.json");
    let label = match &commune.name {
        Some(n) => format!("{n} ({code})"),
        None => code.to_string(),
    };
    write_file(
        &tmp.join("start.sh"),
        START_SH
            .replace("@COMMUNE@", &shell_quote(&label))
            .as_bytes(),
    )?;
    set_mode(&tmp.join("start.sh"), 0o755)?;
    write_file(
        &tmp.join("README.txt"),
        README_TXT.replace("@COMMUNE@", &label).as_bytes(),
    )?;
    let mut kit = Kit {
        dir: out.clone(),
        commune: code.to_string(),
        commune_name: commune.name.clone(),
        margin_m: args.margin_m,
        crop: report,
        lesson_files: lessons.len(),
        bytes: 0,
        config_removed,
    };
    let manifest = serde_json::json!({
        "kind": "quyhoach-workshop-kit",
        "version": env!("CARGO_PKG_VERSION"),
        "created_at": quyhoach_data::import::now_rfc3339(),
        "commune": kit.commune,
        "commune_name": kit.commune_name,
        "commune_bbox": commune.bbox,
        "margin_m": kit.margin_m,
        "bbox": kit.crop.bbox,
        "layers": kit.crop.layers,
        "plans": kit.crop.plans,
        "lesson_files": kit.lesson_files,
        "lessons_from": args.lessons.as_ref().map(|p| p.display().to_string()),
    });
    write_file(
        &tmp.join("kit.json"),
        serde_json::to_string_pretty(&manifest)?.as_bytes(),
    )?;
    kit.bytes = tree_bytes(&tmp);
    // On disk before the kit has its name: a power cut leaves no half-written kit named DIR.
    sync_tree(&tmp)?;

    stage(args.quiet, 6, &format!("into place: {}", out.display()));
    if replacing {
        let old = parent.join(format!("{name}.old-{}-{}", std::process::id(), nanos()));
        fs::rename(&out, &old).with_context(|| format!("moving {} aside", out.display()))?;
        if let Err(e) = fs::rename(&tmp, &out) {
            let _ = fs::rename(&old, &out);
            return Err(e).with_context(|| format!("moving the kit to {}", out.display()));
        }
        let _ = fs::remove_dir_all(&old);
    } else {
        fs::rename(&tmp, &out).with_context(|| format!("moving the kit to {}", out.display()))?;
    }
    guard.disarm();
    if let Ok(d) = fs::File::open(&parent) {
        let _ = d.sync_all();
    }
    Ok(kit)
}

/// The lesson files to pack: a trainer's directory, or the lessons built into the program.
fn lesson_files(dir: Option<&Path>) -> anyhow::Result<Vec<(PathBuf, Vec<u8>)>> {
    let Some(dir) = dir else {
        return Ok(crate::portal::lessons::builtin_files()
            .into_iter()
            .map(|(name, content)| (PathBuf::from(name), content.as_bytes().to_vec()))
            .filter(|(p, _)| safe_relative(p))
            .collect());
    };
    if !dir.is_dir() {
        bail!("--lessons {}: not a directory", dir.display());
    }
    let mut files = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let here = dir.join(&rel);
        let entries = fs::read_dir(&here).with_context(|| format!("reading {}", here.display()))?;
        for e in entries {
            let e = e.with_context(|| format!("reading {}", here.display()))?;
            let ty = e.file_type()?;
            let r = rel.join(e.file_name());
            if ty.is_dir() {
                stack.push(r);
            } else if ty.is_file() {
                let content = fs::read(e.path())
                    .with_context(|| format!("reading {}", e.path().display()))?;
                files.push((r, content));
            }
        }
    }
    if files.is_empty() {
        bail!("--lessons {}: no lesson files there", dir.display());
    }
    files.sort();
    Ok(files)
}

/// A relative path with no `..`, root or prefix.
fn safe_relative(p: &Path) -> bool {
    !p.as_os_str().is_empty()
        && p.components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
}

/// This program's file (`/proc/self/exe` when the file was replaced since it started).
fn program() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("finding this program's file")?;
    if exe.is_file() {
        return Ok(exe);
    }
    let proc = PathBuf::from("/proc/self/exe");
    if proc.is_file() {
        return Ok(proc);
    }
    bail!(
        "this program's file {} is gone (rebuilt while running?)",
        exe.display()
    )
}

/// Drops the copy's debugging information (a release build's line tables are most of its
/// size: 97 MB → 19 MB) with binutils' `strip` when there is one; the copy is kept as it is
/// otherwise.
fn strip_debug(path: &Path) {
    let _ = std::process::Command::new("strip")
        .arg("--strip-debug")
        .arg(path)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
}

/// Rewrites the web app's `config.json` so the page asks nothing of the internet: no raster
/// base map, no other absolute URL. Returns what was left out.
fn offline_config(path: &Path) -> anyhow::Result<Vec<String>> {
    let mut config: serde_json::Map<String, serde_json::Value> = match fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text)
            .with_context(|| format!("the web app's {} is not a JSON object", path.display()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => serde_json::Map::new(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let mut removed = Vec::new();
    if config.get("raster_base").is_some_and(|v| !v.is_null()) {
        removed.push("raster_base (a base map from the internet) turned off".to_string());
    }
    config.insert("raster_base".into(), serde_json::Value::Null);
    let keys: Vec<String> = config.keys().cloned().collect();
    for k in keys {
        if k != "raster_base" && config.get(&k).is_some_and(names_remote_url) {
            config.remove(&k);
            removed.push(format!("{k} (names an address on the internet) left out"));
        }
    }
    write_file(
        path,
        serde_json::to_string_pretty(&serde_json::Value::Object(config))?.as_bytes(),
    )?;
    Ok(removed)
}

/// Whether a JSON value holds a URL of another host (`http://`, `https://`, `//`, `ws…`).
fn names_remote_url(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::String(s) => {
            let s = s.trim().to_ascii_lowercase();
            ["http://", "https://", "ws://", "wss://", "//"]
                .iter()
                .any(|p| s.starts_with(p))
        }
        serde_json::Value::Array(a) => a.iter().any(names_remote_url),
        serde_json::Value::Object(o) => o.values().any(names_remote_url),
        _ => false,
    }
}

/// Removes the temporary directories of packs that were killed (their process is gone).
fn sweep_leftovers(parent: &Path, name: &str) {
    let prefix = format!("{name}.tmp-");
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        let file = e.file_name().to_string_lossy().to_string();
        let Some(rest) = file.strip_prefix(&prefix) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

/// Removes a directory when dropped, unless disarmed.
struct RemoveOnDrop(Option<PathBuf>);

impl RemoveOnDrop {
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = fs::remove_dir_all(p);
        }
    }
}

fn absolute(p: &Path) -> anyhow::Result<PathBuf> {
    let p = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .context("finding the current directory")?
            .join(p)
    };
    // Normalise `a/b/..` and `./` lexically (the kit's parent must be a real directory).
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            c => out.push(c),
        }
    }
    Ok(out)
}

fn nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut f = fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .with_context(|| format!("writing {}", path.display()))
}

fn copy_file(from: &Path, to: &Path) -> anyhow::Result<()> {
    fs::copy(from, to)
        .with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
    Ok(())
}

fn set_mode(path: &Path, mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .with_context(|| format!("making {} executable", path.display()))
}

/// Copies a directory's regular files and subdirectories (symbolic links are not followed).
fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<()> {
    fs::create_dir(to).with_context(|| format!("creating {}", to.display()))?;
    for e in fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let e = e.with_context(|| format!("reading {}", from.display()))?;
        let ty = e.file_type()?;
        let dest = to.join(e.file_name());
        if ty.is_dir() {
            copy_tree(&e.path(), &dest)?;
        } else if ty.is_file() {
            copy_file(&e.path(), &dest)?;
        }
    }
    Ok(())
}

/// Flushes every file and directory of a tree to disk.
fn sync_tree(dir: &Path) -> anyhow::Result<()> {
    for e in fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let e = e.with_context(|| format!("reading {}", dir.display()))?;
        let ty = e.file_type()?;
        if ty.is_dir() {
            sync_tree(&e.path())?;
        } else if ty.is_file() {
            fs::File::open(e.path())
                .and_then(|f| f.sync_all())
                .with_context(|| format!("syncing {}", e.path().display()))?;
        }
    }
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("syncing {}", dir.display()))
}

fn tree_bytes(dir: &Path) -> u64 {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => tree_bytes(&e.path()),
            Ok(t) if t.is_file() => e.metadata().map(|m| m.len()).unwrap_or(0),
            _ => 0,
        })
        .sum()
}

/// A string as one single-quoted shell word.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The kit's `start.sh` (`@COMMUNE@` is replaced by the commune, shell-quoted).
const START_SH: &str = include_str!("pack/start.sh");

/// The kit's `README.txt` (`@COMMUNE@` is replaced by the commune).
const README_TXT: &str = include_str!("pack/README.txt");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_urls_are_recognised() {
        use serde_json::json;
        assert!(names_remote_url(&json!("https://tiles.example/{z}")));
        assert!(names_remote_url(&json!({"tiles": ["//cdn.example/x"]})));
        assert!(!names_remote_url(&json!("Dữ liệu © quyhoach")));
        assert!(!names_remote_url(&json!("/tiles/planning")));
    }

    #[test]
    fn paths_and_quotes() {
        assert!(safe_relative(Path::new("vi/read-map.yaml")));
        assert!(!safe_relative(Path::new("../x")));
        assert!(!safe_relative(Path::new("/etc/passwd")));
        assert_eq!(shell_quote("Xã O'Môn"), r"'Xã O'\''Môn'");
    }
}
