//! Condition expressions evaluated against an item, as DynamoDB evaluates them: used after a
//! cancelled transaction to tell WHICH of the conditions joined on one item failed (the item as
//! it was comes back with the cancellation), so the answer is that condition's own error.
//! It covers the grammar condition expressions have (comparisons, `BETWEEN`, `IN`, `AND`, `OR`,
//! `NOT`, parentheses, `attribute_exists`, `attribute_not_exists`, `attribute_type`,
//! `begins_with`, `contains`, `size`); anything else is "unknown" (`None`), never a guess.

use super::{Expr, Item};
use aws_sdk_dynamodb::types::AttributeValue;
use std::cmp::Ordering;

/// Whether `condition` (with `expr`'s placeholders) holds on `item`; `None` when the expression
/// cannot be read here.
pub(crate) fn holds(condition: &str, expr: &Expr, item: &Item) -> Option<bool> {
    let tokens = tokenize(condition)?;
    let mut p = Parser {
        tokens,
        at: 0,
        expr,
        item,
    };
    let result = p.or()?;
    (p.at == p.tokens.len()).then_some(result)
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Name(String),
    Value(String),
    Index(usize),
    Punct(&'static str),
}

fn tokenize(s: &str) -> Option<Vec<Tok>> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let word = |i: &mut usize| {
        let start = *i;
        while *i < chars.len() && (chars[*i].is_ascii_alphanumeric() || chars[*i] == '_') {
            *i += 1;
        }
        chars[start..*i].iter().collect::<String>()
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\n' => i += 1,
            ':' | '#' => {
                i += 1;
                let w = word(&mut i);
                if w.is_empty() {
                    return None;
                }
                out.push(if c == ':' {
                    Tok::Value(format!(":{w}"))
                } else {
                    Tok::Name(format!("#{w}"))
                });
            }
            '[' => {
                i += 1;
                let n = word(&mut i).parse().ok()?;
                if chars.get(i) != Some(&']') {
                    return None;
                }
                i += 1;
                out.push(Tok::Index(n));
            }
            '<' | '>' => {
                let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
                let p = match two.as_str() {
                    "<>" => "<>",
                    "<=" => "<=",
                    ">=" => ">=",
                    _ if c == '<' => "<",
                    _ => ">",
                };
                i += p.len();
                out.push(Tok::Punct(p));
            }
            '=' | '(' | ')' | ',' | '.' => {
                i += 1;
                out.push(Tok::Punct(match c {
                    '=' => "=",
                    '(' => "(",
                    ')' => ")",
                    ',' => ",",
                    _ => ".",
                }));
            }
            c if c.is_ascii_alphanumeric() || c == '_' => out.push(Tok::Word(word(&mut i))),
            _ => return None,
        }
    }
    Some(out)
}

struct Parser<'a> {
    tokens: Vec<Tok>,
    at: usize,
    expr: &'a Expr,
    item: &'a Item,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.at)
    }
    fn keyword(&mut self, k: &str) -> bool {
        let hit = matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(k));
        self.at += usize::from(hit);
        hit
    }
    fn punct(&mut self, p: &str) -> bool {
        let hit = matches!(self.peek(), Some(Tok::Punct(q)) if *q == p);
        self.at += usize::from(hit);
        hit
    }
    fn expect(&mut self, p: &str) -> Option<()> {
        self.punct(p).then_some(())
    }
    fn or(&mut self) -> Option<bool> {
        let mut v = self.and()?;
        while self.keyword("OR") {
            let r = self.and()?;
            v = v || r;
        }
        Some(v)
    }
    fn and(&mut self) -> Option<bool> {
        let mut v = self.not()?;
        while self.keyword("AND") {
            let r = self.not()?;
            v = v && r;
        }
        Some(v)
    }
    fn not(&mut self) -> Option<bool> {
        if self.keyword("NOT") {
            return self.not().map(|v| !v);
        }
        self.primary()
    }
    fn primary(&mut self) -> Option<bool> {
        if self.punct("(") {
            let v = self.or()?;
            self.expect(")")?;
            return Some(v);
        }
        if let Some(Tok::Word(w)) = self.peek().cloned() {
            let function = w.to_ascii_lowercase();
            let is_call = matches!(self.tokens.get(self.at + 1), Some(Tok::Punct("(")));
            if is_call && function != "size" {
                self.at += 2;
                let v = self.function(&function)?;
                self.expect(")")?;
                return Some(v);
            }
        }
        let left = self.operand()?;
        if self.keyword("BETWEEN") {
            let lo = self.operand()?;
            if !self.keyword("AND") {
                return None;
            }
            let hi = self.operand()?;
            return Some(
                matches!(order(&left, &lo), Some(Ordering::Greater | Ordering::Equal))
                    && matches!(order(&left, &hi), Some(Ordering::Less | Ordering::Equal)),
            );
        }
        if self.keyword("IN") {
            self.expect("(")?;
            let mut any = false;
            loop {
                let candidate = self.operand()?;
                any |= equal(&left, &candidate);
                if !self.punct(",") {
                    break;
                }
            }
            self.expect(")")?;
            return Some(any);
        }
        let Some(Tok::Punct(op)) = self.peek().cloned() else {
            return None;
        };
        self.at += 1;
        let right = self.operand()?;
        let o = order(&left, &right);
        Some(match op {
            "=" => equal(&left, &right),
            "<>" => !equal(&left, &right),
            "<" => o == Some(Ordering::Less),
            "<=" => matches!(o, Some(Ordering::Less | Ordering::Equal)),
            ">" => o == Some(Ordering::Greater),
            ">=" => matches!(o, Some(Ordering::Greater | Ordering::Equal)),
            _ => return None,
        })
    }
    fn function(&mut self, name: &str) -> Option<bool> {
        match name {
            "attribute_exists" => Some(self.path()?.is_some()),
            "attribute_not_exists" => Some(self.path()?.is_none()),
            "attribute_type" => {
                let v = self.path()?;
                self.expect(",")?;
                let t = self.operand()?;
                Some(match (v, t) {
                    (Some(v), Some(AttributeValue::S(t))) => type_code(&v) == t,
                    _ => false,
                })
            }
            "begins_with" | "contains" => {
                let v = self.path()?;
                self.expect(",")?;
                let needle = self.operand()?;
                let (Some(v), Some(n)) = (v, needle) else {
                    return Some(false);
                };
                Some(if name == "begins_with" {
                    match (&v, &n) {
                        (AttributeValue::S(s), AttributeValue::S(p)) => s.starts_with(p.as_str()),
                        (AttributeValue::B(s), AttributeValue::B(p)) => {
                            s.as_ref().starts_with(p.as_ref())
                        }
                        _ => false,
                    }
                } else {
                    match (&v, &n) {
                        (AttributeValue::S(s), AttributeValue::S(p)) => s.contains(p.as_str()),
                        (AttributeValue::Ss(set), AttributeValue::S(p)) => set.contains(p),
                        (AttributeValue::Ns(set), AttributeValue::N(p)) => {
                            set.iter().any(|x| num(x) == num(p))
                        }
                        (AttributeValue::L(list), n) => list.iter().any(|x| equal_av(x, n)),
                        _ => false,
                    }
                })
            }
            _ => None,
        }
    }
    /// A path, a value placeholder or `size(path)`; `None` inside when the attribute is absent.
    fn operand(&mut self) -> Option<Option<AttributeValue>> {
        match self.peek().cloned()? {
            Tok::Value(v) => {
                self.at += 1;
                Some(Some(self.expr.value_of(&v)?.clone()))
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("size") => {
                if !matches!(self.tokens.get(self.at + 1), Some(Tok::Punct("("))) {
                    return self.path();
                }
                self.at += 2;
                let v = self.path()?;
                self.expect(")")?;
                Some(
                    v.and_then(|v| size(&v))
                        .map(|n| AttributeValue::N(n.to_string())),
                )
            }
            _ => self.path(),
        }
    }
    fn segment(&mut self) -> Option<String> {
        let name = match self.peek().cloned()? {
            Tok::Word(w) => w,
            Tok::Name(n) => self.expr.name_of(&n)?.to_string(),
            _ => return None,
        };
        self.at += 1;
        Some(name)
    }
    fn path(&mut self) -> Option<Option<AttributeValue>> {
        let first = self.segment()?;
        let mut current = self.item.get(&first).cloned();
        loop {
            if self.punct(".") {
                let key = self.segment()?;
                current = match current {
                    Some(AttributeValue::M(m)) => m.get(&key).cloned(),
                    _ => None,
                };
            } else if let Some(Tok::Index(n)) = self.peek().cloned() {
                self.at += 1;
                current = match current {
                    Some(AttributeValue::L(l)) => l.get(n).cloned(),
                    _ => None,
                };
            } else {
                return Some(current);
            }
        }
    }
}

fn num(s: &str) -> Option<f64> {
    s.trim().parse().ok()
}

fn size(v: &AttributeValue) -> Option<usize> {
    Some(match v {
        AttributeValue::S(s) => s.len(),
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Ss(s) => s.len(),
        AttributeValue::Ns(s) => s.len(),
        AttributeValue::Bs(s) => s.len(),
        AttributeValue::L(l) => l.len(),
        AttributeValue::M(m) => m.len(),
        _ => return None,
    })
}

fn type_code(v: &AttributeValue) -> &'static str {
    match v {
        AttributeValue::S(_) => "S",
        AttributeValue::N(_) => "N",
        AttributeValue::B(_) => "B",
        AttributeValue::Ss(_) => "SS",
        AttributeValue::Ns(_) => "NS",
        AttributeValue::Bs(_) => "BS",
        AttributeValue::L(_) => "L",
        AttributeValue::M(_) => "M",
        AttributeValue::Bool(_) => "BOOL",
        AttributeValue::Null(_) => "NULL",
        _ => "?",
    }
}

fn order(a: &Option<AttributeValue>, b: &Option<AttributeValue>) -> Option<Ordering> {
    match (a.as_ref()?, b.as_ref()?) {
        (AttributeValue::N(x), AttributeValue::N(y)) => num(x)?.partial_cmp(&num(y)?),
        (AttributeValue::S(x), AttributeValue::S(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (AttributeValue::B(x), AttributeValue::B(y)) => Some(x.as_ref().cmp(y.as_ref())),
        _ => None,
    }
}

fn equal(a: &Option<AttributeValue>, b: &Option<AttributeValue>) -> bool {
    matches!((a, b), (Some(x), Some(y)) if equal_av(x, y))
}

fn equal_av(a: &AttributeValue, b: &AttributeValue) -> bool {
    let sorted = |v: &[String]| {
        let mut v = v.to_vec();
        v.sort();
        v
    };
    match (a, b) {
        (AttributeValue::N(x), AttributeValue::N(y)) => num(x) == num(y),
        (AttributeValue::Ss(x), AttributeValue::Ss(y)) => sorted(x) == sorted(y),
        (AttributeValue::Ns(x), AttributeValue::Ns(y)) => {
            let mut x: Vec<f64> = x.iter().filter_map(|n| num(n)).collect();
            let mut y: Vec<f64> = y.iter().filter_map(|n| num(n)).collect();
            x.sort_by(f64::total_cmp);
            y.sort_by(f64::total_cmp);
            x == y
        }
        (AttributeValue::L(x), AttributeValue::L(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| equal_av(a, b))
        }
        (AttributeValue::M(x), AttributeValue::M(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| equal_av(v, w)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn item() -> Item {
        let n = |v: &str| AttributeValue::N(v.into());
        let s = |v: &str| AttributeValue::S(v.into());
        HashMap::from([
            ("status".into(), s("active")),
            ("seatsUsed".into(), n("5")),
            (
                "tags".into(),
                AttributeValue::Ss(vec!["a".into(), "b".into()]),
            ),
            (
                "holds".into(),
                AttributeValue::M(HashMap::from([(
                    "inv 1".into(),
                    AttributeValue::M(HashMap::from([("n".into(), n("2"))])),
                )])),
            ),
            ("list".into(), AttributeValue::L(vec![s("x"), s("y")])),
        ])
    }

    fn check(cond: &str) -> Option<bool> {
        let expr = Expr::new()
            .value(":active", "active")
            .value(":five", &5)
            .value(":four", &4)
            .value(":two", &2)
            .value(":a", "a")
            .value(":y", "y")
            .value(":act", "act")
            .name("#s", "status")
            .name("#inv", "inv 1");
        holds(cond, &expr, &item())
    }

    #[test]
    fn comparisons_and_logic_as_dynamodb_reads_them() {
        assert_eq!(check("#s = :active"), Some(true));
        assert_eq!(check("seatsUsed <= :four"), Some(false));
        assert_eq!(check("seatsUsed <= :five AND #s = :active"), Some(true));
        assert_eq!(check("seatsUsed < :four OR NOT #s <> :active"), Some(true));
        assert_eq!(
            check("(seatsUsed > :four) AND (seatsUsed >= :five)"),
            Some(true)
        );
        assert_eq!(check("seatsUsed BETWEEN :four AND :five"), Some(true));
        assert_eq!(check("seatsUsed IN (:two, :four)"), Some(false));
        assert_eq!(
            check("holds.#inv.n = :two AND holds.#inv.n >= :two"),
            Some(true)
        );
        assert_eq!(check("list[1] = :y"), Some(true));
        assert_eq!(
            check("size(tags) = :two AND contains(tags, :a)"),
            Some(true)
        );
        assert_eq!(check("begins_with(#s, :act)"), Some(true));
        assert_eq!(
            check("attribute_exists(holds.#inv) AND attribute_not_exists(gone)"),
            Some(true)
        );
        // A missing attribute: equality and order are false, `<>` true.
        assert_eq!(check("gone = :two"), Some(false));
        assert_eq!(check("gone <= :two"), Some(false));
        assert_eq!(check("gone <> :two"), Some(true));
        // What cannot be read is unknown, never a guess.
        assert_eq!(check("seatsUsed <= :missing"), None);
        assert_eq!(check("#nope = :two"), None);
        assert_eq!(check("seatsUsed + :two"), None);
        assert_eq!(check("seatsUsed = :two extra"), None);
    }
}
