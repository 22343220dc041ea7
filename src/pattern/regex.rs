//! The regular-expression subset CloudWatch Logs documents for `%...%` filter values, with a
//! small matcher (no regex crate).
//!
//! Supported, as documented ("Supported regular expressions (regex) syntax"): literal
//! alphanumerics and the symbols `: _ # = @ / ; , -` (and the space, which a documented
//! example uses); `^` `$` anchors; `.`; character classes `[abc]`, `[a-z]`, `[^...]`;
//! quantifiers `?` `*` `+` `{m,n}` (`{m}`, `{m,}`, `{,n}`); `|` alternation of whole
//! branches; escapes `\d \D \s \S \w \W \xhh` and `\` before any other character for that
//! character literally. Rejected, as documented: `(` and `)` (no sub-patterns), other
//! symbols such as `!`, and multi-byte characters.
//!
//! A regex matches when it matches anywhere in the value (`%Trail%` matches `UpdateTrail`),
//! case-sensitively. Matching runs a Pike VM (a Thompson NFA simulation), so it takes time
//! linear in the subject for a given regex and never backtracks exponentially.
//!
//! Limits (not documented by AWS; ours): counted repetition at most 1000, and the compiled
//! program at most 20 000 instructions; a regex past them is rejected as too large.

/// Largest `m` or `n` accepted in `{m,n}`.
const MAX_REPEAT: u32 = 1000;
/// Largest compiled program accepted.
const MAX_PROGRAM: usize = 20_000;

/// Why a regex was rejected: the char offset inside the regex text, and what went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegexError {
    /// Char offset of the problem, counted from the first character after the opening `%`.
    pub offset: usize,
    /// What was expected or why the character is refused.
    pub message: String,
}

/// A compiled regex.
#[derive(Debug, Clone)]
pub struct Regex {
    program: Vec<Inst>,
}

#[derive(Debug, Clone)]
enum Inst {
    Char(CharSet),
    Split(usize, usize),
    Jmp(usize),
    Bol,
    Eol,
    Match,
}

#[derive(Debug, Clone, PartialEq)]
struct CharSet {
    negated: bool,
    ranges: Vec<(char, char)>,
}

impl CharSet {
    fn single(c: char) -> CharSet {
        CharSet {
            negated: false,
            ranges: vec![(c, c)],
        }
    }

    fn any() -> CharSet {
        CharSet {
            negated: true,
            ranges: Vec::new(),
        }
    }

    fn contains(&self, c: char) -> bool {
        let inside = self.ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi);
        inside != self.negated
    }
}

/// The parsed form, before compilation.
#[derive(Debug, Clone)]
enum Node {
    Set(CharSet),
    Bol,
    Eol,
    Repeat {
        node: Box<Node>,
        min: u32,
        max: Option<u32>,
    },
}

impl Regex {
    /// Checks `text` (the part between the `%` signs) against the documented subset and
    /// compiles it.
    pub fn new(text: &str) -> Result<Regex, RegexError> {
        let chars: Vec<char> = text.chars().collect();
        if chars.is_empty() {
            return Err(RegexError {
                offset: 0,
                message: "a regular expression between the % signs".into(),
            });
        }
        for (i, &c) in chars.iter().enumerate() {
            if !is_allowed_char(c) {
                let why = match c {
                    '(' | ')' => "parentheses are not supported in CloudWatch regex (no sub-patterns)",
                    _ if !c.is_ascii() => "multi-byte characters are not supported in CloudWatch regex",
                    _ => "a character CloudWatch regex supports (letters, digits, : _ # = @ / ; , - and the operators ^ $ ? [ ] { } | \\ * + .); use \\xhh for others",
                };
                return Err(RegexError {
                    offset: i,
                    message: why.into(),
                });
            }
        }
        let branches = Parser {
            chars: &chars,
            pos: 0,
        }
        .parse()?;
        let program = compile(&branches).ok_or_else(|| RegexError {
            offset: 0,
            message: format!("a smaller regular expression (at most {MAX_PROGRAM} compiled steps)"),
        })?;
        Ok(Regex { program })
    }

    /// True when the regex matches somewhere in `subject`.
    pub fn is_match(&self, subject: &str) -> bool {
        let chars: Vec<char> = subject.chars().collect();
        let n = self.program.len();
        let mut current = Threads::new(n);
        let mut next = Threads::new(n);
        for i in 0..=chars.len() {
            // Unanchored search: a new thread may start at every position.
            if self.add(&mut current, 0, i, chars.len()) {
                return true;
            }
            if i == chars.len() {
                break;
            }
            next.clear();
            let c = chars[i];
            for k in 0..current.list.len() {
                let pc = current.list[k];
                if let Inst::Char(set) = &self.program[pc] {
                    if set.contains(c) && self.add(&mut next, pc + 1, i + 1, chars.len()) {
                        return true;
                    }
                }
            }
            std::mem::swap(&mut current, &mut next);
        }
        false
    }

    /// Follows empty transitions from `pc` at position `at`; true when `Match` is reached.
    fn add(&self, threads: &mut Threads, pc: usize, at: usize, len: usize) -> bool {
        let mut stack = vec![pc];
        while let Some(pc) = stack.pop() {
            if pc >= self.program.len() || threads.seen[pc] {
                continue;
            }
            threads.seen[pc] = true;
            match &self.program[pc] {
                Inst::Match => return true,
                Inst::Jmp(to) => stack.push(*to),
                Inst::Split(a, b) => {
                    stack.push(*b);
                    stack.push(*a);
                }
                Inst::Bol => {
                    if at == 0 {
                        stack.push(pc + 1);
                    }
                }
                Inst::Eol => {
                    if at == len {
                        stack.push(pc + 1);
                    }
                }
                Inst::Char(_) => threads.list.push(pc),
            }
        }
        false
    }
}

struct Threads {
    seen: Vec<bool>,
    list: Vec<usize>,
}

impl Threads {
    fn new(n: usize) -> Threads {
        Threads {
            seen: vec![false; n],
            list: Vec::new(),
        }
    }

    fn clear(&mut self) {
        self.seen.iter_mut().for_each(|s| *s = false);
        self.list.clear();
    }
}

/// The characters the docs allow inside `%...%` (plus the space of a documented example).
fn is_allowed_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || ":_#=@/;,- ^$?[]{}|\\*+.".contains(c)
}

struct Parser<'a> {
    chars: &'a [char],
    pos: usize,
}

impl Parser<'_> {
    fn err<T>(&self, offset: usize, message: &str) -> Result<T, RegexError> {
        Err(RegexError {
            offset,
            message: message.into(),
        })
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    /// `branch ('|' branch)*`
    fn parse(mut self) -> Result<Vec<Vec<Node>>, RegexError> {
        let mut branches = vec![self.branch()?];
        while self.peek() == Some('|') {
            self.pos += 1;
            branches.push(self.branch()?);
        }
        Ok(branches)
    }

    fn branch(&mut self) -> Result<Vec<Node>, RegexError> {
        let mut nodes = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' {
                break;
            }
            let at = self.pos;
            let node = match c {
                '*' | '+' | '?' | '{' => {
                    return self.err(at, "a character or class before the quantifier");
                }
                '^' => {
                    self.pos += 1;
                    Node::Bol
                }
                '$' => {
                    self.pos += 1;
                    Node::Eol
                }
                '.' => {
                    self.pos += 1;
                    Node::Set(CharSet::any())
                }
                '[' => Node::Set(self.class()?),
                '\\' => Node::Set(self.escape()?),
                _ => {
                    self.pos += 1;
                    Node::Set(CharSet::single(c))
                }
            };
            let node = self.quantified(node)?;
            nodes.push(node);
        }
        Ok(nodes)
    }

    fn quantified(&mut self, node: Node) -> Result<Node, RegexError> {
        let (min, max) = match self.peek() {
            Some('*') => (0, None),
            Some('+') => (1, None),
            Some('?') => (0, Some(1)),
            Some('{') => return self.counted(node),
            _ => return Ok(node),
        };
        if matches!(node, Node::Bol | Node::Eol) {
            return self.err(self.pos, "a character or class before the quantifier");
        }
        self.pos += 1;
        self.no_second_quantifier()?;
        Ok(Node::Repeat {
            node: Box::new(node),
            min,
            max,
        })
    }

    fn no_second_quantifier(&self) -> Result<(), RegexError> {
        match self.peek() {
            Some('*' | '+' | '?' | '{') => {
                self.err(self.pos, "a character or class before the quantifier")
            }
            _ => Ok(()),
        }
    }

    /// `{m,n}`, `{m}`, `{m,}`, `{,n}`; spaces are allowed inside (the docs write `{m, n}`).
    fn counted(&mut self, node: Node) -> Result<Node, RegexError> {
        let open = self.pos;
        if matches!(node, Node::Bol | Node::Eol) {
            return self.err(open, "a character or class before the quantifier");
        }
        self.pos += 1;
        let min = self.number()?;
        let mut max = min;
        self.skip_spaces();
        if self.peek() == Some(',') {
            self.pos += 1;
            max = self.number()?;
        } else if min.is_none() {
            return self.err(self.pos, "a repetition count like {3}, {3,5}, {3,} or {,5}");
        }
        self.skip_spaces();
        if self.peek() != Some('}') {
            return self.err(self.pos, "`}` closing the repetition count");
        }
        self.pos += 1;
        let lo = min.unwrap_or(0);
        if let Some(hi) = max {
            if hi < lo {
                return self.err(
                    open,
                    "a repetition count whose maximum is not below its minimum",
                );
            }
        }
        self.no_second_quantifier()?;
        Ok(Node::Repeat {
            node: Box::new(node),
            min: lo,
            max,
        })
    }

    fn skip_spaces(&mut self) {
        while self.peek() == Some(' ') {
            self.pos += 1;
        }
    }

    fn number(&mut self) -> Result<Option<u32>, RegexError> {
        self.skip_spaces();
        let start = self.pos;
        let mut value: u32 = 0;
        while let Some(d) = self.peek().and_then(|c| c.to_digit(10)) {
            value = value.saturating_mul(10).saturating_add(d);
            self.pos += 1;
        }
        if self.pos == start {
            return Ok(None);
        }
        if value > MAX_REPEAT {
            return self.err(start, "a repetition count of at most 1000");
        }
        Ok(Some(value))
    }

    /// `[...]`, at `[`.
    fn class(&mut self) -> Result<CharSet, RegexError> {
        let open = self.pos;
        self.pos += 1;
        let mut set = CharSet {
            negated: false,
            ranges: Vec::new(),
        };
        if self.peek() == Some('^') {
            set.negated = true;
            self.pos += 1;
        }
        let mut first = true;
        loop {
            let Some(c) = self.peek() else {
                return self.err(open, "`]` closing the character class");
            };
            if c == ']' && !first {
                self.pos += 1;
                break;
            }
            if c == ']' {
                return self.err(self.pos, "at least one character in the class");
            }
            first = false;
            let lo = if c == '\\' {
                let esc = self.escape()?;
                if esc.ranges.len() != 1 || esc.negated || esc.ranges[0].0 != esc.ranges[0].1 {
                    // \d, \w, \s inside a class: merge (negated forms are rejected).
                    if esc.negated {
                        return self.err(
                            self.pos.saturating_sub(2),
                            "\\D, \\S and \\W only outside [ ]",
                        );
                    }
                    set.ranges.extend(esc.ranges);
                    continue;
                }
                esc.ranges[0].0
            } else {
                self.pos += 1;
                c
            };
            // A range `lo-hi`, unless the `-` is last in the class.
            if self.peek() == Some('-') && self.chars.get(self.pos + 1).is_some_and(|&n| n != ']') {
                let dash = self.pos;
                self.pos += 1;
                let hi = match self.peek() {
                    Some('\\') => {
                        let esc = self.escape()?;
                        if esc.negated
                            || esc.ranges.len() != 1
                            || esc.ranges[0].0 != esc.ranges[0].1
                        {
                            return self.err(dash, "a single character after `-` in a range");
                        }
                        esc.ranges[0].0
                    }
                    Some(h) => {
                        self.pos += 1;
                        h
                    }
                    None => return self.err(open, "`]` closing the character class"),
                };
                if hi < lo {
                    return self.err(dash, "a range whose end is not before its start");
                }
                set.ranges.push((lo, hi));
            } else {
                set.ranges.push((lo, lo));
            }
        }
        Ok(set)
    }

    /// `\x`, at the backslash.
    fn escape(&mut self) -> Result<CharSet, RegexError> {
        let at = self.pos;
        self.pos += 1;
        let Some(c) = self.peek() else {
            return self.err(at, "a character after `\\`");
        };
        self.pos += 1;
        let class = |negated: bool, ranges: &[(char, char)]| CharSet {
            negated,
            ranges: ranges.to_vec(),
        };
        const DIGIT: &[(char, char)] = &[('0', '9')];
        const SPACE: &[(char, char)] = &[(' ', ' '), ('\t', '\n'), ('\r', '\r')];
        const WORD: &[(char, char)] = &[('a', 'z'), ('A', 'Z'), ('0', '9'), ('_', '_')];
        Ok(match c {
            'd' => class(false, DIGIT),
            'D' => class(true, DIGIT),
            's' => class(false, SPACE),
            'S' => class(true, SPACE),
            'w' => class(false, WORD),
            'W' => class(true, WORD),
            'x' => {
                let hex: String = self.chars.iter().skip(self.pos).take(2).collect();
                let value = if hex.len() == 2 {
                    u8::from_str_radix(&hex, 16).ok()
                } else {
                    None
                };
                match value {
                    Some(v) => {
                        self.pos += 2;
                        CharSet::single(char::from(v))
                    }
                    None => return self.err(at, "two hexadecimal digits after \\x"),
                }
            }
            other => CharSet::single(other),
        })
    }
}

/// Compiles the branches into a program; `None` when it would be too large.
fn compile(branches: &[Vec<Node>]) -> Option<Vec<Inst>> {
    let mut prog = Vec::new();
    // Alternation: Split(b1, next) ... each branch jumps to the shared Match at the end.
    let mut jumps = Vec::new();
    for (i, branch) in branches.iter().enumerate() {
        let split_at = if i + 1 < branches.len() {
            prog.push(Inst::Split(0, 0));
            Some(prog.len() - 1)
        } else {
            None
        };
        let start = prog.len();
        for node in branch {
            emit(node, &mut prog)?;
        }
        if i + 1 < branches.len() {
            prog.push(Inst::Jmp(0));
            jumps.push(prog.len() - 1);
        }
        if let Some(s) = split_at {
            prog[s] = Inst::Split(start, prog.len());
        }
    }
    let end = prog.len();
    for j in jumps {
        prog[j] = Inst::Jmp(end);
    }
    prog.push(Inst::Match);
    Some(prog)
}

fn emit(node: &Node, prog: &mut Vec<Inst>) -> Option<()> {
    if prog.len() > MAX_PROGRAM {
        return None;
    }
    match node {
        Node::Set(set) => prog.push(Inst::Char(set.clone())),
        Node::Bol => prog.push(Inst::Bol),
        Node::Eol => prog.push(Inst::Eol),
        Node::Repeat { node, min, max } => {
            for _ in 0..*min {
                emit(node, prog)?;
            }
            match max {
                None => {
                    // L: Split(body, out); body; Jmp L
                    let split = prog.len();
                    prog.push(Inst::Split(0, 0));
                    emit(node, prog)?;
                    prog.push(Inst::Jmp(split));
                    let out = prog.len();
                    prog[split] = Inst::Split(split + 1, out);
                }
                Some(max) => {
                    // (max - min) optional copies, each able to skip to the end.
                    let mut splits = Vec::new();
                    for _ in *min..*max {
                        splits.push(prog.len());
                        prog.push(Inst::Split(0, 0));
                        emit(node, prog)?;
                        if prog.len() > MAX_PROGRAM {
                            return None;
                        }
                    }
                    let out = prog.len();
                    for s in splits {
                        prog[s] = Inst::Split(s + 1, out);
                    }
                }
            }
        }
    }
    if prog.len() > MAX_PROGRAM {
        return None;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(re: &str, s: &str) -> bool {
        Regex::new(re)
            .unwrap_or_else(|e| panic!("{re}: {e:?}"))
            .is_match(s)
    }

    #[test]
    fn documented_operator_examples() {
        // Each line is an example from the docs' "Usage of supported operators".
        assert!(m("^[hc]at", "hat") && m("^[hc]at", "cat is here"));
        assert!(!m("^[hc]at", "a hat"));
        assert!(m("[hc]at$", "a hat") && !m("[hc]at$", "hats"));
        assert!(m("colou?r", "color") && m("colou?r", "colour"));
        assert!(m("[abc]", "xbx") && !m("[abc]", "xyz"));
        assert!(m("[a-z]", "Q1q") && !m("[a-z]", "Q1"));
        assert!(m("[abcx-z]", "y") && !m("[abcx-z]", "w"));
        assert!(m("^a{3,5}$", "aaa") && m("^a{3,5}$", "aaaaa"));
        assert!(!m("^a{3,5}$", "aa") && !m("^a{3,5}$", "aaaaaa"));
        assert!(m("gra|ey", "gra") && m("gra|ey", "grey"));
        assert!(m(
            "^starting|^initializing|^shutting down",
            "shutting down now"
        ));
        assert!(!m(
            "^starting|^initializing|^shutting down",
            "skipping initializing"
        ));
        assert!(m("abcc|ab[^c]$", "abcc x") && m("abcc|ab[^c]$", "aba"));
        assert!(!m("abcc|ab[^c]$", "aac"));
        assert!(m("\\[.\\]", "[a]") && m("\\[.\\]", "[ ]") && !m("\\[.\\]", "[]"));
        assert!(m("10\\.10\\.0\\.1", "10.10.0.1") && !m("10\\.10\\.0\\.1", "10010,051"));
        assert!(m("10.10.0.1", "10010,051"));
        assert!(m("ab*c", "ac") && m("ab*c", "abc") && m("ab*c", "abbbc"));
        assert!(m("ab[0-9]*", "ab") && m("ab[0-9]*", "ab129"));
        assert!(m("ab+c", "abbc") && !m("ab+c", "ac"));
        assert!(m(".at", "hat") && m(".at", " at") && m(".at", "#at"));
        assert!(m("\\d", "a1") && !m("\\d", "ab") && m("\\D", "1a") && !m("\\D", "12"));
        assert!(m("\\s", "a b") && m("\\s", "a\tb") && !m("\\s", "ab") && m("\\S", " a "));
        assert!(m("\\w", "-_-") && !m("\\w", "-.-") && m("\\W", "a-b") && !m("\\W", "ab_9"));
        assert!(m("\\x3A", "a:b") && m("\\x28", "f(x)") && !m("\\x3A", "ab"));
        assert!(m("AUTHORIZED", "[ERROR 401] UNAUTHORIZED REQUEST"));
        assert!(m("AUTHORIZED", "[SUCCESS 200] AUTHORIZED REQUEST"));
        assert!(m(
            "\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}",
            "ip 10.0.0.1 x"
        ));
        assert!(m("[Ee]rror|[Ff]ail", "an error") && m("[Ee]rror|[Ff]ail", "Fail"));
    }

    #[test]
    fn open_ended_counts() {
        assert!(m("^a{2,}$", "aaaa") && !m("^a{2,}$", "a"));
        assert!(m("^a{,2}b", "aab") && !m("^a{,2}b$", "aaab"));
        assert!(m("^a{2}$", "aa") && !m("^a{2}$", "aaa"));
        assert!(m("^a{2, 3}$", "aaa"));
    }

    #[test]
    fn rejects_what_the_docs_reject() {
        for (re, at) in [
            ("something!", 9),
            ("(ab)", 0),
            ("ab)", 2),
            ("caf\u{e9}", 3),
            ("*a", 0),
            ("a**", 2),
            ("a{5,3}", 1),
            ("[abc", 0),
            ("[]", 1),
            ("a{x}", 2),
            ("\\x4", 0),
            ("a{2000}", 2),
            ("", 0),
        ] {
            let err = Regex::new(re)
                .err()
                .unwrap_or_else(|| panic!("{re} accepted"));
            assert_eq!(err.offset, at, "{re}: {err:?}");
        }
    }

    #[test]
    fn huge_programs_are_refused_not_built() {
        assert!(Regex::new("a{1000}b{1000}c{1000}d{1000}e{1000}f{1000}g{1000}h{1000}i{1000}j{1000}k{1000}l{1000}m{1000}n{1000}o{1000}p{1000}q{1000}r{1000}s{1000}t{1000}u{1000}").is_err());
    }

    #[test]
    fn no_exponential_blowup() {
        let re = Regex::new("a*a*a*a*a*a*a*a*a*a*a*a*b").unwrap_or_else(|e| panic!("{e:?}"));
        let subject = "a".repeat(5000);
        let t = std::time::Instant::now();
        assert!(!re.is_match(&subject));
        assert!(t.elapsed().as_secs() < 5);
    }
}
