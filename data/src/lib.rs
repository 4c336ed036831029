//! Import, VN-2000, FlatGeobuf store, index and queries.
//!
//! The crate is split by domain noun: [`srs`] (VN-2000 and other reference systems),
//! [`encoding`] (TCVN3 and VNI legacy text), [`landuse`] (the land-use code table),
//! [`schema`] (the normalised attribute schema of each layer kind), [`import`] (GDAL
//! reading into the store), [`store`] (FlatGeobuf files and the catalog), [`plans`]
//! (planning documents and their approving decisions) and [`demo`] (the synthetic district).

pub mod crop;
pub mod demo;
pub mod encoding;
pub mod import;
pub mod index;
pub mod landuse;
pub mod lookup;
pub mod pg;
pub mod planning;
pub mod plans;
pub mod practice;
pub mod schema;
pub mod site;
pub mod speech;
pub mod srs;
pub mod store;
#[doc(hidden)]
pub mod testing;
pub mod validity;
