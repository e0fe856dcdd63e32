//! What a test hub's store holds at rest: its bytes, and history rewritten as someone with
//! access to the database would.

use super::*;

impl Hub {
    /// Every byte the store holds at rest: the SQLite files, or every document of every
    /// collection of the MongoDB database as raw BSON.
    pub async fn store_bytes(&self) -> Vec<u8> {
        let mut all = Vec::new();
        if let Some((url, name)) = self.mongodb() {
            use futures::TryStreamExt;
            let db = mongodb::Client::with_uri_str(&url)
                .await
                .unwrap()
                .database(&name);
            for c in db.list_collection_names().await.unwrap() {
                let docs: Vec<mongodb::bson::Document> = db
                    .collection::<mongodb::bson::Document>(&c)
                    .find(mongodb::bson::doc! {})
                    .await
                    .unwrap()
                    .try_collect()
                    .await
                    .unwrap();
                for d in docs {
                    all.extend(mongodb::bson::to_vec(&d).unwrap());
                }
            }
            return all;
        }
        for entry in std::fs::read_dir(self.dir.path()).unwrap() {
            let p = entry.unwrap().path();
            if p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("greenroom.db"))
            {
                all.extend(std::fs::read(&p).unwrap_or_default());
            }
        }
        all
    }

    /// Rewrites history as someone with access to the database would (removing SQLite's
    /// guard trigger first): every audit entry of `event_type` gets `to` in its place. The
    /// first sequence number changed.
    pub async fn tamper_audit(&self, event_type: &str, to: &str) -> i64 {
        if let Some((url, name)) = self.mongodb() {
            use futures::TryStreamExt;
            use mongodb::bson::doc;
            let col = mongodb::Client::with_uri_str(&url)
                .await
                .unwrap()
                .database(&name)
                .collection::<mongodb::bson::Document>("audit_logs");
            let docs: Vec<mongodb::bson::Document> = col
                .find(doc! {"event_type": event_type})
                .sort(doc! {"_id": 1})
                .await
                .unwrap()
                .try_collect()
                .await
                .unwrap();
            for d in &docs {
                let text = d.get_str("doc").unwrap().replace(event_type, to);
                col.update_one(
                    doc! {"_id": d.get("_id").unwrap()},
                    doc! {"$set": {"doc": text}},
                )
                .await
                .unwrap();
            }
            return match docs[0].get("_id").unwrap() {
                mongodb::bson::Bson::Int64(v) => *v,
                mongodb::bson::Bson::Int32(v) => i64::from(*v),
                other => panic!("audit _id {other}"),
            };
        }
        let db = rusqlite::Connection::open(self.dir.path().join("greenroom.db")).unwrap();
        db.execute_batch(&format!(
            "DROP TRIGGER audit_logs_no_update; UPDATE audit_logs SET doc = replace(doc, '{event_type}', '{to}') WHERE event_type = '{event_type}';"
        ))
        .unwrap();
        db.query_row(
            "SELECT MIN(seq) FROM audit_logs WHERE event_type = ?1",
            [event_type],
            |r| r.get(0),
        )
        .unwrap()
    }
}
