//! IP network functions: cidrhost, cidrnetmask, cidrsubnet, cidrsubnets.

use super::{Result, fixed, integer, string};
use crate::value::Value;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A network: its base address as a number, the prefix length, and the address width (32 or 128).
#[derive(Debug, Clone, Copy)]
struct Network {
    base: u128,
    prefix: u32,
    bits: u32,
}

impl Network {
    fn parse(text: &str) -> Result<Network> {
        let invalid = || format!("invalid CIDR address {text:?}");
        let (addr, prefix) = text.split_once('/').ok_or_else(invalid)?;
        let addr: IpAddr = addr.parse().map_err(|_| invalid())?;
        let prefix: u32 = prefix.parse().map_err(|_| invalid())?;
        let (value, bits) = match addr {
            IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32),
            IpAddr::V6(v6) => (u128::from(v6), 128),
        };
        if prefix > bits {
            return Err(invalid());
        }
        let host_bits = bits - prefix;
        let base = if host_bits == 128 {
            0
        } else {
            value >> host_bits << host_bits
        };
        Ok(Network { base, prefix, bits })
    }

    fn host_bits(&self) -> u32 {
        self.bits - self.prefix
    }

    fn address(&self, value: u128) -> String {
        if self.bits == 32 {
            Ipv4Addr::from(value as u32).to_string()
        } else {
            Ipv6Addr::from(value).to_string()
        }
    }

    /// The `number`th subnet with `new_bits` more prefix bits.
    fn subnet(&self, new_bits: i64, number: i64) -> Result<Network> {
        let new_prefix = i64::from(self.prefix) + new_bits;
        if new_bits < 0 || new_prefix > i64::from(self.bits) {
            return Err(format!(
                "insufficient address space to extend prefix of {} by {new_bits}",
                self.prefix
            ));
        }
        let new_bits = new_bits as u32;
        let number =
            u128::try_from(number).map_err(|_| "the network number must not be negative")?;
        if new_bits < 128 && number >> new_bits != 0 {
            return Err(format!(
                "prefix extension of {new_bits} does not accommodate a subnet numbered {number}"
            ));
        }
        let prefix = self.prefix + new_bits;
        let shift = self.bits - prefix;
        let offset = if shift >= 128 { 0 } else { number << shift };
        Ok(Network {
            base: self.base | offset,
            prefix,
            bits: self.bits,
        })
    }

    fn render(&self) -> String {
        format!("{}/{}", self.address(self.base), self.prefix)
    }
}

pub(super) fn call(name: &str, args: Vec<Value>) -> Result<Value> {
    match name {
        "cidrhost" => {
            let [prefix, host] = fixed(args)?;
            let network = Network::parse(&string(&prefix)?)?;
            let host = integer(&host)?;
            let size = 1i128 << network.host_bits().min(126);
            let index = if host < 0 {
                size + i128::from(host)
            } else {
                i128::from(host)
            };
            if index < 0 || index >= size {
                return Err(format!(
                    "prefix of {} bits cannot accommodate a host numbered {host}",
                    network.prefix
                ));
            }
            Ok(Value::String(network.address(network.base + index as u128)))
        }
        "cidrnetmask" => {
            let [prefix] = fixed(args)?;
            let network = Network::parse(&string(&prefix)?)?;
            if network.bits != 32 {
                return Err("only IPv4 networks have a netmask".to_owned());
            }
            let mask = u32::MAX.checked_shl(32 - network.prefix).unwrap_or(0);
            Ok(Value::String(Ipv4Addr::from(mask).to_string()))
        }
        "cidrsubnet" => {
            let [prefix, new_bits, number] = fixed(args)?;
            let network = Network::parse(&string(&prefix)?)?;
            let subnet = network.subnet(integer(&new_bits)?, integer(&number)?)?;
            Ok(Value::String(subnet.render()))
        }
        _ => {
            let mut args = args.into_iter();
            let network = Network::parse(&string(&args.next().ok_or("a prefix is required")?)?)?;
            // Each subnet starts right after the previous one, aligned to its own size.
            let exhausted = || "not enough remaining address space for a subnet".to_owned();
            let mut next: u128 = network.base;
            let mut out = Vec::new();
            for new_bits in args {
                let new_bits = integer(&new_bits)?;
                let first = network.subnet(new_bits, 0)?;
                let size = 1u128 << (first.bits - first.prefix).min(127);
                let aligned = next
                    .div_ceil(size)
                    .checked_mul(size)
                    .ok_or_else(exhausted)?;
                let number = (aligned - network.base) / size;
                let subnet = network
                    .subnet(new_bits, i64::try_from(number).unwrap_or(i64::MAX))
                    .map_err(|_| exhausted())?;
                next = subnet.base.saturating_add(size);
                out.push(Value::String(subnet.render()));
            }
            Ok(Value::Array(out))
        }
    }
}
