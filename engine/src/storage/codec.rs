//! Little binary encoding helpers shared by every on-store format: LEB128 varints,
//! length-prefixed bytes, CRC-32 and the checksummed, optionally lz4-compressed object frame.
//!
//! Frame layout (all integers little-endian):
//! `magic "NMDB" | kind u8 | version u8 | flags u8 (bit 0: lz4) | 0u8 | raw_len u32 | body | crc32 u32`
//! where the CRC covers every byte before it.
use super::Error;

pub const MAGIC: &[u8; 4] = b"NMDB";
pub const FORMAT_VERSION: u8 = 1;
const FLAG_LZ4: u8 = 1;
const HEADER_LEN: usize = 12;
/// Bodies smaller than this are stored raw; compression would not pay for its header.
const COMPRESS_MIN: usize = 256;

/// The kinds of object the engine writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    WalRecord = 1,
    Manifest = 2,
    Snapshot = 3,
    Head = 4,
    /// A manifest that lists sorted tables (format 1 manifests name one snapshot).
    TableManifest = 5,
    Block = 6,
    TableIndex = 7,
}

pub fn crc32(data: &[u8]) -> u32 {
    // Slicing by 8: `TABLES[k][b]` is the CRC of byte `b` followed by `k` zero bytes, so eight
    // bytes are folded per step with eight independent lookups (several times the speed of
    // one byte at a time; frames are checked on every read and written on every commit).
    const fn tables() -> [[u32; 256]; 8] {
        let mut t = [[0u32; 256]; 8];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
                k += 1;
            }
            t[0][i] = c;
            i += 1;
        }
        let mut k = 1;
        while k < 8 {
            let mut i = 0;
            while i < 256 {
                let prev = t[k - 1][i];
                t[k][i] = t[0][(prev & 0xff) as usize] ^ (prev >> 8);
                i += 1;
            }
            k += 1;
        }
        t
    }
    static TABLES: [[u32; 256]; 8] = tables();
    let byte = |c: u32, b: u8| TABLES[0][((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8);
    let mut chunks = data.chunks_exact(8);
    let mut c = !0u32;
    for chunk in &mut chunks {
        let [b0, b1, b2, b3, b4, b5, b6, b7] = [0, 1, 2, 3, 4, 5, 6, 7].map(|i| chunk[i]);
        let lo = c ^ u32::from_le_bytes([b0, b1, b2, b3]);
        c = TABLES[7][(lo & 0xff) as usize]
            ^ TABLES[6][((lo >> 8) & 0xff) as usize]
            ^ TABLES[5][((lo >> 16) & 0xff) as usize]
            ^ TABLES[4][(lo >> 24) as usize]
            ^ TABLES[3][b4 as usize]
            ^ TABLES[2][b5 as usize]
            ^ TABLES[1][b6 as usize]
            ^ TABLES[0][b7 as usize];
    }
    !chunks.remainder().iter().fold(c, |c, &b| byte(c, b))
}

/// Wraps `body` in a checksummed frame, compressing it when that helps.
pub fn frame(kind: Kind, body: &[u8]) -> Vec<u8> {
    let compressed = (body.len() >= COMPRESS_MIN).then(|| lz4_flex::compress(body));
    let (flags, stored) = match &compressed {
        Some(c) if c.len() < body.len() => (FLAG_LZ4, c.as_slice()),
        _ => (0, body),
    };
    let mut out = Vec::with_capacity(HEADER_LEN + stored.len() + 4);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[kind as u8, FORMAT_VERSION, flags, 0]);
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(stored);
    let crc = crc32(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Checks and opens a frame of the expected kind, returning its raw body.
pub fn unframe(kind: Kind, data: &[u8]) -> Result<Vec<u8>, Error> {
    let corrupt = |why: &str| Error::Corrupt(format!("{kind:?} object: {why}"));
    if data.len() < HEADER_LEN + 4 || &data[..4] != MAGIC {
        return Err(corrupt("bad magic or too short"));
    }
    let (content, crc) = data.split_at(data.len() - 4);
    if crc32(content).to_le_bytes() != crc {
        return Err(corrupt("checksum mismatch"));
    }
    if content[4] != kind as u8 {
        return Err(corrupt("unexpected kind"));
    }
    if content[5] != FORMAT_VERSION {
        return Err(corrupt(&format!("unsupported format version {}", content[5])));
    }
    let raw_len = u32::from_le_bytes([content[8], content[9], content[10], content[11]]) as usize;
    let stored = &content[HEADER_LEN..];
    if content[6] & FLAG_LZ4 != 0 {
        lz4_flex::decompress(stored, raw_len).map_err(|e| corrupt(&e.to_string()))
    } else if stored.len() == raw_len {
        Ok(stored.to_vec())
    } else {
        Err(corrupt("length mismatch"))
    }
}

/// Appends primitive values to a buffer.
#[derive(Default)]
pub struct Writer {
    pub buf: Vec<u8>,
}

impl Writer {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    pub fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.buf.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.buf.push(v as u8);
    }
    /// Zig-zag signed varint.
    pub fn ivarint(&mut self, v: i64) {
        self.varint(((v << 1) ^ (v >> 63)) as u64);
    }
    pub fn f64(&mut self, v: f64) {
        self.buf.extend_from_slice(&v.to_bits().to_le_bytes());
    }
    pub fn bytes(&mut self, v: &[u8]) {
        self.varint(v.len() as u64);
        self.buf.extend_from_slice(v);
    }
    pub fn str(&mut self, v: &str) {
        self.bytes(v.as_bytes());
    }
}

/// Reads what a [`Writer`] wrote; every read is bounds-checked. A clone reads ahead without
/// moving the original.
#[derive(Clone)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

#[cold]
fn truncated() -> Error {
    Error::Corrupt("truncated record".into())
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }
    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }
    #[inline]
    fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        match self.data.get(self.pos..).and_then(|rest| rest.get(..n)) {
            Some(out) => {
                self.pos += n;
                Ok(out)
            }
            None => Err(truncated()),
        }
    }
    #[inline]
    pub fn u8(&mut self) -> Result<u8, Error> {
        match self.data.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => Err(truncated()),
        }
    }
    #[inline]
    pub fn varint(&mut self) -> Result<u64, Error> {
        // Most varints (lengths, counts, tags, small ids) are one byte.
        match self.data.get(self.pos) {
            Some(&b) if b & 0x80 == 0 => {
                self.pos += 1;
                Ok(u64::from(b))
            }
            _ => self.long_varint(),
        }
    }
    fn long_varint(&mut self) -> Result<u64, Error> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(Error::Corrupt("varint too long".into()))
    }
    pub fn ivarint(&mut self) -> Result<i64, Error> {
        let v = self.varint()?;
        Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
    }
    pub fn f64(&mut self) -> Result<f64, Error> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(f64::from_bits(u64::from_le_bytes(a)))
    }
    pub fn len(&mut self) -> Result<usize, Error> {
        let n = self.varint()?;
        usize::try_from(n)
            .ok()
            .filter(|&n| n <= self.data.len() - self.pos.min(self.data.len()))
            .ok_or_else(|| Error::Corrupt("length out of range".into()))
    }
    #[inline]
    pub fn bytes(&mut self) -> Result<&'a [u8], Error> {
        let n = self.varint()?;
        self.take(usize::try_from(n).map_err(|_| truncated())?)
    }
    /// Exactly `n` bytes (a length stored elsewhere).
    pub fn bytes_exact(&mut self, n: usize) -> Result<&'a [u8], Error> {
        self.take(n)
    }
    pub fn str(&mut self) -> Result<&'a str, Error> {
        std::str::from_utf8(self.bytes()?).map_err(|_| Error::Corrupt("invalid utf-8".into()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_ieee_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        // Every length and alignment of the eight-byte steps, against the bitwise definition.
        let bitwise = |data: &[u8]| {
            !data.iter().fold(!0u32, |mut c, &b| {
                c ^= u32::from(b);
                (0..8).for_each(|_| c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 });
                c
            })
        };
        let data: Vec<u8> = (0..200u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        for start in 0..8 {
            for end in start..data.len() {
                assert_eq!(crc32(&data[start..end]), bitwise(&data[start..end]), "{start}..{end}");
            }
        }
    }

    #[test]
    fn frames_round_trip_and_detect_damage() {
        for body in [vec![], b"small".to_vec(), vec![7u8; 10_000]] {
            let f = frame(Kind::WalRecord, &body);
            assert_eq!(unframe(Kind::WalRecord, &f).unwrap(), body);
            assert!(unframe(Kind::Manifest, &f).is_err(), "kind is checked");
            for i in 0..f.len() {
                let mut bad = f.clone();
                bad[i] ^= 0x40;
                assert!(unframe(Kind::WalRecord, &bad).is_err(), "flip at {i} undetected");
            }
        }
        assert!(frame(Kind::Snapshot, &vec![7u8; 10_000]).len() < 1000, "compressed");
    }

    #[test]
    fn primitives_round_trip() {
        let mut w = Writer::new();
        for v in [0u64, 1, 127, 128, u64::MAX] {
            w.varint(v);
        }
        for v in [0i64, -1, 1, i64::MIN, i64::MAX] {
            w.ivarint(v);
        }
        w.f64(-0.0);
        w.str("héllo");
        let mut r = Reader::new(&w.buf);
        for v in [0u64, 1, 127, 128, u64::MAX] {
            assert_eq!(r.varint().unwrap(), v);
        }
        for v in [0i64, -1, 1, i64::MIN, i64::MAX] {
            assert_eq!(r.ivarint().unwrap(), v);
        }
        assert!(r.f64().unwrap().is_sign_negative());
        assert_eq!(r.str().unwrap(), "héllo");
        assert!(r.is_empty());
        assert!(r.u8().is_err());
    }
}
