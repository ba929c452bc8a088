//! A 48-bit Ethernet address.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mac(pub [u8; 6]);

impl Mac {
    /// A group (multicast or broadcast) address: the I/G bit of its first byte.
    pub fn is_group(&self) -> bool {
        self.0[0] & 1 == 1
    }
}

impl FromStr for Mac {
    type Err = String;
    fn from_str(s: &str) -> Result<Mac, String> {
        let bad = || format!("`{s}` is not a MAC address (expected six hex bytes like 52:54:00:12:34:56)");
        let parts: Vec<&str> = s.split([':', '-']).collect();
        if parts.len() != 6 {
            return Err(bad());
        }
        let mut mac = [0u8; 6];
        for (byte, part) in mac.iter_mut().zip(parts) {
            // from_str_radix alone would take "052" and "+5".
            if !(1..=2).contains(&part.len()) || !part.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad());
            }
            *byte = u8::from_str_radix(part, 16).map_err(|_| bad())?;
        }
        Ok(Mac(mac))
    }
}

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ECHO: Mac = Mac([0x52, 0x54, 0, 0x12, 0x34, 0x56]);

    #[test]
    fn macs_parse_and_print() {
        assert_eq!("52:54:00:12:34:56".parse::<Mac>().unwrap(), ECHO);
        assert_eq!("52-54-00-12-34-56".parse::<Mac>().unwrap(), ECHO);
        assert_eq!(ECHO.to_string(), "52:54:00:12:34:56");
        let bad_macs = [
            "",
            "52:54:00:12:34",
            "52:54:00:12:34:56:78",
            "52:54:00:12:34:zz",
            "525:4:00:12:34:56",
            "052:54:00:12:34:56",
            "+5:54:00:12:34:56",
            "52::00:12:34:56",
        ];
        for bad in bad_macs {
            assert!(bad.parse::<Mac>().is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn group_addresses_have_the_ig_bit() {
        assert!(Mac([0xff; 6]).is_group());
        assert!(Mac([0x01, 0, 0x5e, 0, 0, 1]).is_group());
        assert!(!ECHO.is_group());
        assert!(!Mac([0x02, 0, 0, 0, 0, 1]).is_group());
    }
}
