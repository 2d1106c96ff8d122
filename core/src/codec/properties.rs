//! MQTT 5.0 properties. One struct holds every property; the decoder checks which of them
//! each packet may carry and that single-valued ones appear at most once. The enum, the
//! struct and the description of each property are made from the table in
//! `property_table.rs`.

use super::property_table::mqtt5_properties;
use super::propwire::{mask, Check, Ctx};
use bytes::Bytes;

/// A JSON settings key that stands for a property (see `property_table.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct JsonKey {
    /// The setting's name ("ConnectProperties").
    pub setting: &'static str,
    /// Its place among the setting's keys when the setting is read back.
    pub rank: u8,
    pub name: &'static str,
    /// A second spelling accepted on input only.
    pub alias: Option<&'static str>,
}

/// A field of `Properties`, seen through its type (which gives its wire form).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FieldRef<'a> {
    Byte(&'a Option<u8>),
    Two(&'a Option<u16>),
    Four(&'a Option<u32>),
    VarInts(&'a Vec<u32>),
    Text(&'a Option<String>),
    Binary(&'a Option<Bytes>),
    Pairs(&'a Vec<(String, String)>),
}

/// A field of `Properties` to write, seen through its type.
#[derive(Debug)]
pub(crate) enum FieldMut<'a> {
    Byte(&'a mut Option<u8>),
    Two(&'a mut Option<u16>),
    Four(&'a mut Option<u32>),
    VarInts(&'a mut Vec<u32>),
    Text(&'a mut Option<String>),
    Binary(&'a mut Option<Bytes>),
    Pairs(&'a mut Vec<(String, String)>),
}

/// The data type of a property's values (MQTT 5.0 section 1.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PropertyType {
    /// A single byte (flags and small numbers).
    Byte,
    /// A 16-bit integer.
    TwoByteInteger,
    /// A 32-bit integer.
    FourByteInteger,
    /// Repeatable, except where [`PropertyId::repeatable_in`] says otherwise.
    VariableByteInteger,
    /// A length-prefixed UTF-8 string.
    Utf8String,
    /// Length-prefixed bytes.
    BinaryData,
    /// Repeatable; order is kept and names may repeat.
    Utf8StringPair,
}

/// One value of a property, for [`Properties::add`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PropertyValue {
    /// A single byte.
    Byte(u8),
    /// A 16-bit integer.
    TwoByteInteger(u16),
    /// A 32-bit integer.
    FourByteInteger(u32),
    /// A variable byte integer (0..=268_435_455).
    VariableByteInteger(u32),
    /// A UTF-8 string.
    Utf8String(String),
    /// Bytes.
    BinaryData(Bytes),
    /// A name and value pair of UTF-8 strings (User Property).
    Utf8StringPair(String, String),
}

impl PropertyValue {
    /// The value as an integer, for the integer types.
    pub fn integer(&self) -> Option<u32> {
        match *self {
            PropertyValue::Byte(v) => Some(v.into()),
            PropertyValue::TwoByteInteger(v) => Some(v.into()),
            PropertyValue::FourByteInteger(v) | PropertyValue::VariableByteInteger(v) => Some(v),
            _ => None,
        }
    }

    /// The data type this value has.
    pub fn data_type(&self) -> PropertyType {
        match self {
            PropertyValue::Byte(_) => PropertyType::Byte,
            PropertyValue::TwoByteInteger(_) => PropertyType::TwoByteInteger,
            PropertyValue::FourByteInteger(_) => PropertyType::FourByteInteger,
            PropertyValue::VariableByteInteger(_) => PropertyType::VariableByteInteger,
            PropertyValue::Utf8String(_) => PropertyType::Utf8String,
            PropertyValue::BinaryData(_) => PropertyType::BinaryData,
            PropertyValue::Utf8StringPair(..) => PropertyType::Utf8StringPair,
        }
    }
}

/// The types a property's field may have.
trait Field {
    const TYPE: PropertyType;
    fn view(&self) -> FieldRef<'_>;
    fn view_mut(&mut self) -> FieldMut<'_>;
}

macro_rules! field_types {
    ($($ty:ty => $variant:ident $data_type:ident),* $(,)?) => {$(
        impl Field for $ty {
            const TYPE: PropertyType = PropertyType::$data_type;
            #[inline]
            fn view(&self) -> FieldRef<'_> {
                FieldRef::$variant(self)
            }
            #[inline]
            fn view_mut(&mut self) -> FieldMut<'_> {
                FieldMut::$variant(self)
            }
        }
    )*};
}

field_types! {
    Option<u8> => Byte Byte,
    Option<u16> => Two TwoByteInteger,
    Option<u32> => Four FourByteInteger,
    Vec<u32> => VarInts VariableByteInteger,
    Option<String> => Text Utf8String,
    Option<Bytes> => Binary BinaryData,
    Vec<(String, String)> => Pairs Utf8StringPair,
}

macro_rules! some {
    () => {
        None
    };
    ($e:expr) => {
        Some($e)
    };
}

macro_rules! define_properties {
    ($(
        $(#[$doc:meta])*
        $variant:ident = $code:literal $name:literal {
            field: $field:ident: $ty:ty,
            check: $check:ident,
            packets: $packets:expr,
            json: [$($setting:ident $rank:literal $key:literal $(| $alias:literal)?),*],
        }
    )*) => {
        /// Property identifiers (MQTT 5.0, section 2.2.2.2).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum PropertyId {
            $(
                #[doc = concat!("The ", $name, " property (identifier ", stringify!($code), ").")]
                $variant = $code,
            )*
        }

        /// The MQTT 5.0 properties of one packet: one field per property, `None` (or empty
        /// for the repeatable ones) when absent. Which of them a packet may carry is given by
        /// [`PropertyId::allowed_in`]; the others are left out when encoding.
        ///
        /// ```
        /// use ferromq::codec::{Properties, PropertyId, PropertyValue};
        ///
        /// let mut props = Properties::default();
        /// props.content_type = Some("application/json".into());
        /// let pair = PropertyValue::Utf8StringPair("k".into(), "v".into());
        /// props.add(PropertyId::UserProperty, pair).unwrap();
        /// assert_eq!(props.user_properties, vec![("k".to_string(), "v".to_string())]);
        /// assert!(!props.is_empty());
        /// ```
        #[derive(Clone, Debug, Default, PartialEq, Eq)]
        pub struct Properties {
            $(
                #[doc = concat!("The ", $name, " property (identifier ", stringify!($code), ").")]
                #[doc = ""]
                $(#[$doc])*
                pub $field: $ty,
            )*
        }

        const COUNT: usize = [$($code),*].len();

        impl PropertyId {
            /// Every property identifier, in ascending order.
            pub const ALL: [PropertyId; COUNT] = [$(PropertyId::$variant),*];

            /// The property with identifier `v`, if there is one.
            pub fn from_u8(v: u8) -> Option<PropertyId> {
                match v {
                    $($code => Some(PropertyId::$variant),)*
                    _ => None,
                }
            }

            /// The specification's name of the property ("Receive Maximum").
            pub fn name(self) -> &'static str {
                match self {
                    $(PropertyId::$variant => $name,)*
                }
            }

            /// The data type of its values, which gives its wire form and its field's type.
            pub fn data_type(self) -> PropertyType {
                match self {
                    $(PropertyId::$variant => <$ty as Field>::TYPE,)*
                }
            }

            /// The name of its field in `Properties` (and in the session file), which is
            /// also its name in the C and Python faces.
            pub fn field_name(self) -> &'static str {
                match self {
                    $(PropertyId::$variant => stringify!($field),)*
                }
            }

            /// The rule its values follow.
            pub(crate) fn check(self) -> Check {
                match self {
                    $(PropertyId::$variant => Check::$check,)*
                }
            }

            /// The packets (and the will) that may carry it, one bit per `Ctx`.
            pub(crate) fn packets(self) -> u16 {
                match self {
                    $(PropertyId::$variant => {
                        #[allow(unused_imports)]
                        use Ctx::*;
                        const PACKETS: u16 = mask(&$packets);
                        PACKETS
                    })*
                }
            }

            /// The JSON settings keys that stand for it.
            pub(crate) fn json_keys(self) -> &'static [JsonKey] {
                match self {
                    $(PropertyId::$variant => {
                        const KEYS: &[JsonKey] = &[$(JsonKey {
                            setting: stringify!($setting),
                            rank: $rank,
                            name: $key,
                            alias: some!($($alias)?),
                        }),*];
                        KEYS
                    })*
                }
            }
        }

        impl Properties {
            /// The field that holds property `id`.
            pub(crate) fn field(&self, id: PropertyId) -> FieldRef<'_> {
                match id {
                    $(PropertyId::$variant => self.$field.view(),)*
                }
            }

            pub(crate) fn field_mut(&mut self, id: PropertyId) -> FieldMut<'_> {
                match id {
                    $(PropertyId::$variant => self.$field.view_mut(),)*
                }
            }

            /// Calls `f` with every field, in identifier order, stopping at the first error.
            /// Written out field by field: the encoder runs it twice for every packet.
            #[inline]
            pub(crate) fn try_for_each_field<E>(
                &self,
                mut f: impl FnMut(PropertyId, FieldRef<'_>) -> Result<(), E>,
            ) -> Result<(), E> {
                $(f(PropertyId::$variant, self.$field.view())?;)*
                Ok(())
            }
        }
    };
}

mqtt5_properties!(define_properties);

impl PropertyId {
    /// The properties a PUBLISH may carry, in identifier order: what a message's
    /// properties hold (received), and what a publish may be given (all but the
    /// Subscription Identifier, which only a server sends).
    pub fn message_properties() -> impl Iterator<Item = PropertyId> {
        PropertyId::ALL
            .into_iter()
            .filter(|p| p.allowed_in(Ctx::Publish))
    }

    /// Whether a client may put it on a PUBLISH: every one of
    /// [`PropertyId::message_properties`] but the Subscription Identifier, which only a
    /// server sends.
    pub fn client_may_publish(self) -> bool {
        self.allowed_in(Ctx::Publish) && self != PropertyId::SubscriptionIdentifier
    }

    /// Its name in JavaScript: the field name in camelCase (`messageExpiryInterval`).
    pub fn js_name(self) -> String {
        let mut out = String::new();
        let mut upper = false;
        for c in self.field_name().chars() {
            match c {
                '_' => upper = true,
                c if upper => {
                    out.push(c.to_ascii_uppercase());
                    upper = false;
                }
                c => out.push(c),
            }
        }
        out
    }
}

impl Properties {
    /// A received message's properties as they may go out again on a publish (forwarding
    /// it): without the Subscription Identifiers and the Topic Alias, which belong to the
    /// connection it came on.
    pub fn forwarded(&self) -> Properties {
        Properties {
            subscription_identifiers: Vec::new(),
            topic_alias: None,
            ..self.clone()
        }
    }

    /// True when no property is set.
    pub fn is_empty(&self) -> bool {
        *self == Properties::default()
    }

    /// Sets property `id` to `value`, or adds `value` to it for a repeatable one. Gives the
    /// value back when it is not of the property's data type. Where the property may appear
    /// and which values it may take are checked by the encoder, not here.
    pub fn add(&mut self, id: PropertyId, value: PropertyValue) -> Result<(), PropertyValue> {
        match (self.field_mut(id), value) {
            (FieldMut::Byte(s), PropertyValue::Byte(v)) => *s = Some(v),
            (FieldMut::Two(s), PropertyValue::TwoByteInteger(v)) => *s = Some(v),
            (FieldMut::Four(s), PropertyValue::FourByteInteger(v)) => *s = Some(v),
            (FieldMut::VarInts(l), PropertyValue::VariableByteInteger(v)) => l.push(v),
            (FieldMut::Text(s), PropertyValue::Utf8String(v)) => *s = Some(v),
            (FieldMut::Binary(s), PropertyValue::BinaryData(v)) => *s = Some(v),
            (FieldMut::Pairs(l), PropertyValue::Utf8StringPair(k, v)) => l.push((k, v)),
            (_, value) => return Err(value),
        }
        Ok(())
    }

    /// The values property `id` holds: none, one, or for a repeatable one several, in order.
    pub fn values(&self, id: PropertyId) -> Vec<PropertyValue> {
        match self.field(id) {
            FieldRef::Byte(v) => v.iter().map(|&v| PropertyValue::Byte(v)).collect(),
            FieldRef::Two(v) => v
                .iter()
                .map(|&v| PropertyValue::TwoByteInteger(v))
                .collect(),
            FieldRef::Four(v) => v
                .iter()
                .map(|&v| PropertyValue::FourByteInteger(v))
                .collect(),
            FieldRef::VarInts(v) => v
                .iter()
                .map(|&v| PropertyValue::VariableByteInteger(v))
                .collect(),
            FieldRef::Text(v) => v.iter().cloned().map(PropertyValue::Utf8String).collect(),
            FieldRef::Binary(v) => v.iter().cloned().map(PropertyValue::BinaryData).collect(),
            FieldRef::Pairs(v) => v
                .iter()
                .map(|(k, v)| PropertyValue::Utf8StringPair(k.clone(), v.clone()))
                .collect(),
        }
    }
}
