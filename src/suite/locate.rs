//! Node positions: a second, event-based parse of the suite text that maps
//! each node path (`cases[3].steps[2].expect.code`) to its line and column,
//! so stage-2 errors point at the offending node.

use std::collections::HashMap;
use std::fmt;

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::Marker;

/// One segment of a node path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// The path of a node from the document root.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct NodePath(Vec<Seg>);

impl NodePath {
    pub fn root() -> NodePath {
        NodePath::default()
    }

    pub fn key(&self, key: &str) -> NodePath {
        let mut segs = self.0.clone();
        segs.push(Seg::Key(key.to_string()));
        NodePath(segs)
    }

    pub fn index(&self, index: usize) -> NodePath {
        let mut segs = self.0.clone();
        segs.push(Seg::Index(index));
        NodePath(segs)
    }

    /// The entry `key` of the map that holds this node.
    pub fn sibling(&self, key: &str) -> NodePath {
        self.parent().unwrap_or_default().key(key)
    }

    fn parent(&self) -> Option<NodePath> {
        let (_, rest) = self.0.split_last()?;
        Some(NodePath(rest.to_vec()))
    }
}

impl fmt::Display for NodePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if i == 0 => write!(f, "{k}")?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

impl Pos {
    const START: Pos = Pos { line: 1, col: 1 };

    fn of(mark: Marker) -> Pos {
        // yaml-rust2 lines are 1-based, columns 0-based.
        Pos {
            line: mark.line().max(1),
            col: mark.col() + 1,
        }
    }
}

/// Positions of the nodes of one document: values, and keys of map entries.
#[derive(Debug, Default)]
pub struct Positions {
    values: HashMap<NodePath, Pos>,
    keys: HashMap<NodePath, Pos>,
}

impl Positions {
    /// Positions of `text`'s nodes; best effort: a text the event parser
    /// rejects yields what was read before the error.
    pub fn of(text: &str) -> Positions {
        let mut walk = Walk::default();
        let mut parser = Parser::new_from_str(text);
        while let Ok((event, mark)) = parser.next_token() {
            if event == Event::StreamEnd || walk.documents > 1 {
                break;
            }
            walk.event(event, Pos::of(mark));
        }
        walk.positions
    }

    /// Where the node at `path` starts, or its nearest known ancestor.
    pub fn value(&self, path: &NodePath) -> Pos {
        self.lookup(&self.values, path)
    }

    /// Where the key of the map entry at `path` is, else where its value is.
    pub fn key(&self, path: &NodePath) -> Pos {
        match self.keys.get(path) {
            Some(pos) => *pos,
            None => self.value(path),
        }
    }

    fn lookup(&self, map: &HashMap<NodePath, Pos>, path: &NodePath) -> Pos {
        let mut at = Some(path.clone());
        while let Some(path) = at {
            if let Some(pos) = map.get(&path) {
                return *pos;
            }
            at = path.parent();
        }
        Pos::START
    }
}

enum Frame {
    Map {
        path: NodePath,
        key: Option<String>,
        at_key: bool,
    },
    Seq {
        path: NodePath,
        next: usize,
    },
}

#[derive(Default)]
struct Walk {
    stack: Vec<Frame>,
    positions: Positions,
    documents: usize,
}

impl Walk {
    fn event(&mut self, event: Event, pos: Pos) {
        match event {
            Event::DocumentStart => self.documents += 1,
            Event::Scalar(text, ..) => self.scalar(text, pos),
            Event::Alias(_) => self.leaf(pos),
            Event::MappingStart(..) => self.open(pos, true),
            Event::SequenceStart(..) => self.open(pos, false),
            Event::MappingEnd | Event::SequenceEnd => self.close(),
            _ => {}
        }
    }

    fn scalar(&mut self, text: String, pos: Pos) {
        if let Some(Frame::Map {
            path,
            key,
            at_key: true,
        }) = self.stack.last_mut()
        {
            let entry = path.key(&text);
            *key = Some(text);
            self.positions.keys.insert(entry.clone(), pos);
            let map_pos = self.positions.values.entry(path.clone()).or_insert(pos);
            // A block map's start mark lies after its first key: use the key.
            *map_pos = (*map_pos).min(pos);
            self.done();
        } else {
            self.leaf(pos);
        }
    }

    fn leaf(&mut self, pos: Pos) {
        if let Some(path) = self.next_path() {
            self.positions.values.entry(path).or_insert(pos);
        }
        self.done();
    }

    fn open(&mut self, pos: Pos, map: bool) {
        let path = self.next_path().unwrap_or_default();
        self.positions.values.entry(path.clone()).or_insert(pos);
        self.stack.push(if map {
            Frame::Map {
                path,
                key: None,
                at_key: true,
            }
        } else {
            Frame::Seq { path, next: 0 }
        });
    }

    fn close(&mut self) {
        self.stack.pop();
        self.done();
    }

    /// The path of the node that starts now (`None` for a complex key).
    fn next_path(&mut self) -> Option<NodePath> {
        match self.stack.last_mut() {
            None => Some(NodePath::root()),
            Some(Frame::Seq { path, next }) => {
                *next += 1;
                Some(path.index(*next - 1))
            }
            Some(Frame::Map { at_key: true, .. }) => None,
            Some(Frame::Map { path, key, .. }) => Some(path.key(key.as_deref().unwrap_or("?"))),
        }
    }

    /// A node finished: in a map, alternate between key and value.
    fn done(&mut self) {
        if let Some(Frame::Map { at_key, .. }) = self.stack.last_mut() {
            *at_key = !*at_key;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(segs: &[&str]) -> NodePath {
        let mut p = NodePath::root();
        for s in segs {
            p = match s.parse::<usize>() {
                Ok(n) => p.index(n),
                Err(_) => p.key(s),
            };
        }
        p
    }

    const TEXT: &str = "role: server\ncases:\n  - id: a\n    steps:\n      - login\n      - {send: NOOP, expect: [200, 250]}\n";

    #[test]
    fn finds_block_and_flow_nodes() {
        let pos = Positions::of(TEXT);
        assert_eq!(pos.value(&path(&["cases", "0"])), Pos { line: 3, col: 5 });
        assert_eq!(
            pos.value(&path(&["cases", "0", "id"])),
            Pos { line: 3, col: 9 }
        );
        assert_eq!(
            pos.key(&path(&["cases", "0", "steps"])),
            Pos { line: 4, col: 5 }
        );
        assert_eq!(
            pos.value(&path(&["cases", "0", "steps", "0"])),
            Pos { line: 5, col: 9 }
        );
        let flow = path(&["cases", "0", "steps", "1"]);
        assert_eq!(pos.value(&flow), Pos { line: 6, col: 9 });
        let code = flow.key("expect").index(1);
        assert_eq!(pos.value(&code), Pos { line: 6, col: 36 });
    }

    #[test]
    fn unknown_paths_fall_back_to_ancestors() {
        let pos = Positions::of(TEXT);
        let deep = path(&["cases", "0", "steps", "1", "nope", "3"]);
        assert_eq!(pos.value(&deep), Pos { line: 6, col: 9 });
        assert_eq!(pos.value(&path(&["zzz"])), Pos { line: 1, col: 1 });
    }

    #[test]
    fn broken_text_gives_partial_positions() {
        let pos = Positions::of("role: server\ncases: [\n");
        assert_eq!(pos.key(&path(&["role"])), Pos { line: 1, col: 1 });
    }

    #[test]
    fn displays_paths_like_serde_yaml() {
        assert_eq!(
            path(&["cases", "3", "steps", "2", "expect"]).to_string(),
            "cases[3].steps[2].expect"
        );
    }
}
