//! Owns reading a `.dockerignore` the way BuildKit reads it, to answer one question: does the
//! user's file keep this path out of the build context? The generated block names again what
//! the image build reads and the user's lines keep out (`*.md` while a crate has
//! `#![doc = include_str!("../README.md")]`); everything else the user keeps out stays out.
//!
//! The semantics are moby's `patternmatcher` (`MatchesOrParentMatches`) after its `ignorefile`
//! reader: no crate implements them, and a gitignore matcher (the `ignore` crate) differs where
//! it matters (an unanchored `*.md` there matches in every directory, here only at the root).

use regex::Regex;

/// The patterns of one `.dockerignore`, in order.
#[derive(Debug, Default)]
pub struct IgnoreRules {
    rules: Vec<Rule>,
}

#[derive(Debug)]
struct Rule {
    /// A `!` line: lets in what earlier lines kept out.
    lets_in: bool,
    pattern: Pattern,
}

/// How moby matches a cleaned pattern: literally when it has no wildcard, by prefix or suffix
/// when its only wildcard is a trailing or leading `**`, else by a regex.
#[derive(Debug)]
enum Pattern {
    Exact(String),
    Prefix(String),
    Suffix(String),
    Regex(Regex),
    /// A pattern Docker refuses (an unterminated `[`): it matches nothing here.
    Invalid,
}

impl IgnoreRules {
    /// Reads a `.dockerignore`'s text: a line starting with `#` is a comment, blank lines are
    /// skipped, a leading `!` lets in, and each pattern is cleaned as Go's `filepath.Clean`
    /// cleans it with its leading `/` dropped, so `/foo`, `./foo` and `foo/` are all `foo`.
    pub fn parse(text: &str) -> Self {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let rules = text
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| {
                let line = line.trim();
                let (lets_in, pattern) = match line.strip_prefix('!') {
                    Some(rest) => (true, rest.trim()),
                    None => (false, line),
                };
                if pattern.is_empty() {
                    return None;
                }
                let cleaned = clean(pattern);
                let cleaned = match cleaned.strip_prefix('/') {
                    Some(rest) if !rest.is_empty() => rest.to_string(),
                    _ => cleaned,
                };
                Some(Rule {
                    lets_in,
                    pattern: compile(&cleaned),
                })
            })
            .collect();
        IgnoreRules { rules }
    }

    /// Whether any line keeps something out; a file of only `!` lines and comments keeps out
    /// nothing.
    pub fn keeps_out_anything(&self) -> bool {
        self.rules.iter().any(|r| !r.lets_in)
    }

    /// Whether `path` (relative to the context root, `/`-separated, clean) is kept out: the last
    /// line that matches it or one of its parent directories decides.
    pub fn excludes(&self, path: &str) -> bool {
        let parents: Vec<&str> = match path.rfind('/') {
            Some(end) => {
                let parent = &path[..end];
                parent
                    .match_indices('/')
                    .map(|(i, _)| &parent[..i])
                    .chain(std::iter::once(parent))
                    .collect()
            }
            None => Vec::new(),
        };
        let mut excluded = false;
        for rule in &self.rules {
            // A line that would not change the answer is not read (moby skips them too).
            if rule.lets_in != excluded {
                continue;
            }
            let matches =
                rule.pattern.matches(path) || parents.iter().any(|p| rule.pattern.matches(p));
            if matches {
                excluded = !rule.lets_in;
            }
        }
        excluded
    }
}

impl Pattern {
    fn matches(&self, path: &str) -> bool {
        match self {
            Pattern::Exact(p) => path == p,
            Pattern::Prefix(p) => path.starts_with(p.as_str()),
            Pattern::Suffix(s) => {
                path.ends_with(s.as_str()) || s.strip_prefix('/').is_some_and(|rest| path == rest)
            }
            Pattern::Regex(re) => re.is_match(path),
            Pattern::Invalid => false,
        }
    }
}

#[derive(PartialEq)]
enum Kind {
    Exact,
    Prefix,
    Suffix,
    Regex,
}

/// moby's translation: `*` and `?` stop at `/`, `**` (with its `/`) crosses any number of
/// directories, `[…]` is a class, `\` escapes the next character, the rest is literal.
fn compile(pattern: &str) -> Pattern {
    let chars: Vec<char> = pattern.chars().collect();
    let mut re = String::from("^");
    let mut kind = Kind::Exact;
    let mut at = 0;
    let mut step = 0;
    while at < chars.len() {
        let ch = chars[at];
        at += 1;
        match ch {
            '*' if chars.get(at) == Some(&'*') => {
                at += 1;
                if chars.get(at) == Some(&'/') {
                    at += 1;
                }
                if at == chars.len() {
                    if kind == Kind::Exact {
                        kind = Kind::Prefix;
                    } else {
                        re.push_str(".*");
                        kind = Kind::Regex;
                    }
                } else {
                    re.push_str("(.*/)?");
                    kind = Kind::Regex;
                }
                if step == 0 {
                    kind = Kind::Suffix;
                }
            }
            '*' => {
                re.push_str("[^/]*");
                kind = Kind::Regex;
            }
            '?' => {
                re.push_str("[^/]");
                kind = Kind::Regex;
            }
            '\\' => match chars.get(at) {
                Some(next) => {
                    re.push_str(&regex::escape(&next.to_string()));
                    at += 1;
                    kind = Kind::Regex;
                }
                None => re.push_str("\\\\"),
            },
            '[' | ']' => {
                re.push(ch);
                kind = Kind::Regex;
            }
            c if ".+()|{}$".contains(c) => {
                re.push('\\');
                re.push(c);
            }
            c => re.push(c),
        }
        step += 1;
    }
    match kind {
        Kind::Exact => Pattern::Exact(pattern.to_string()),
        Kind::Prefix => Pattern::Prefix(pattern[..pattern.len() - 2].to_string()),
        Kind::Suffix => Pattern::Suffix(pattern[2..].to_string()),
        Kind::Regex => {
            re.push('$');
            Regex::new(&re).map_or(Pattern::Invalid, Pattern::Regex)
        }
    }
}

/// Go's `filepath.Clean` on a `/`-separated path: no empty or `.` elements, `..` resolved
/// lexically (and dropped at the root), no trailing `/`; `.` when nothing is left.
fn clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept_out(patterns: &str, path: &str) -> bool {
        IgnoreRules::parse(patterns).excludes(path)
    }

    /// Docker's reading, case by case (the behaviour moby's own tests pin).
    #[test]
    fn patterns_match_as_docker_matches_them() {
        let cases: &[(&str, &str, bool)] = &[
            ("**", "Cargo.lock", true),
            ("**", "crates/core/src/lib.rs", true),
            ("**/", "src", true),
            ("*.md", "README.md", true),
            // Anchored at the root, unlike gitignore.
            ("*.md", "crates/core/README.md", false),
            ("**/*.md", "crates/core/README.md", true),
            ("**/*.md", "README.md", true),
            ("/target", "target/release/app", true),
            ("./docs/", "docs/book/index.md", true),
            ("crates/*/tests", "crates/core/tests/it.rs", true),
            ("crates/*.rs", "crates/core/lib.rs", false),
            ("**/tests", "tests", true),
            ("**/tests", "crates/core/tests/it.rs", true),
            ("**tests", "crates/coretests", true),
            ("src/**", "src", false),
            ("src/**", "src/main.rs", true),
            ("a**/*.txt", "a/dir/dir/file.txt", true),
            ("doc?", "docs", true),
            ("doc?", "doc/s", false),
            ("[a-c]*.toml", "b.toml", true),
            ("[^a-c]*.toml", "b.toml", false),
            ("abc.def", "abcXdef", false),
            ("v1.2*", "v1x2-rc", false),
            ("v1.2*", "v1.2-rc", true),
            ("a(b)c+$|{}", "a(b)c+$|{}", true),
            ("a^b", "a^b", true),
            ("a\\*b", "a*b", true),
            ("a\\*b", "axb", false),
            ("[unterminated", "[unterminated", false),
            ("../outside", "outside", false),
            ("docs/../Cargo.lock", "Cargo.lock", true),
        ];
        for (pattern, path, expected) in cases {
            assert_eq!(
                kept_out(pattern, path),
                *expected,
                "pattern `{pattern}`, path `{path}`"
            );
        }
    }

    #[test]
    fn the_last_line_that_matches_decides() {
        let rules = "**\n!src/\n!Cargo.toml\nsrc/generated\n";
        assert!(kept_out(rules, "Cargo.lock"));
        assert!(!kept_out(rules, "Cargo.toml"));
        assert!(!kept_out(rules, "src/main.rs"));
        assert!(kept_out(rules, "src/generated/schema.rs"));
        // A `!` line for a directory lets in what an earlier line kept out inside it.
        assert!(!kept_out(
            "**/*.md\n!crates/core\n",
            "crates/core/README.md"
        ));
        assert!(kept_out("!crates/core\n**/*.md\n", "crates/core/README.md"));
    }

    #[test]
    fn comments_blank_lines_and_a_bare_bang_keep_out_nothing() {
        let rules = IgnoreRules::parse("\u{feff}# *\n\n   \n!\n!src\n");
        assert!(!rules.keeps_out_anything());
        assert!(!rules.excludes("Cargo.toml"));
        // `#` starts a comment only at the start of the line, as Docker reads it.
        assert!(kept_out(" #notes", "#notes"));
    }

    #[test]
    fn clean_is_gos() {
        for (path, cleaned) in [
            ("a//b/./c/", "a/b/c"),
            ("./", "."),
            ("/../a", "/a"),
            ("a/../../b", "../b"),
            ("/", "/"),
        ] {
            assert_eq!(clean(path), cleaned, "{path}");
        }
    }
}
