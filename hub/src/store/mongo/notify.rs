//! Notification rules (their channels sealed) and deliveries in MongoDB; a delivery is unique
//! per rule and event (an index), so a dispatcher that runs twice makes it once.

use super::super::StoreResult;
use super::{MongoStore, collect, ms, to_bson, to_json};
use crate::model::{Delivery, NotificationRule, Page, PageRequest, Timestamp};
use mongodb::bson::{Document, doc};

impl MongoStore {
    fn rule_doc(&self, r: &NotificationRule) -> StoreResult<Document> {
        to_bson(
            &self.codec.rule(r)?,
            doc! {"_id": &r.id, "q_created": ms(r.created_at)},
        )
    }

    pub(super) async fn put_notification_rule(&self, r: &NotificationRule) -> StoreResult<()> {
        // Another tenant's rule with the same id is never replaced.
        let existing = self
            .col("notification_rules")
            .find_one(doc! {"_id": &r.id})
            .await?;
        if existing.is_some_and(|d| d.get_str("tenant_id").unwrap_or_default() != r.tenant_id) {
            return Ok(());
        }
        self.col("notification_rules")
            .replace_one(doc! {"_id": &r.id}, self.rule_doc(r)?)
            .upsert(true)
            .await?;
        Ok(())
    }

    pub(super) async fn get_notification_rule(
        &self,
        tenant: &str,
        id: &str,
    ) -> StoreResult<Option<NotificationRule>> {
        self.col("notification_rules")
            .find_one(doc! {"_id": id, "tenant_id": tenant})
            .await?
            .map(|d| self.codec.rule_from(to_json(d)?))
            .transpose()
    }

    pub(super) async fn list_notification_rules(
        &self,
        tenant: &str,
    ) -> StoreResult<Vec<NotificationRule>> {
        let docs = collect(
            self.col("notification_rules")
                .find(doc! {"tenant_id": tenant})
                .sort(doc! {"q_created": 1, "_id": 1})
                .await?,
        )
        .await?;
        docs.into_iter()
            .map(|d| self.codec.rule_from(to_json(d)?))
            .collect()
    }

    pub(super) async fn delete_notification_rule(
        &self,
        tenant: &str,
        id: &str,
    ) -> StoreResult<bool> {
        Ok(self
            .col("notification_rules")
            .delete_one(doc! {"_id": id, "tenant_id": tenant})
            .await?
            .deleted_count
            > 0)
    }

    fn delivery_doc(&self, d: &Delivery) -> StoreResult<Document> {
        to_bson(
            &self.codec.plain(d)?,
            doc! {
                "_id": &d.id, "tenant_id": &d.tenant_id, "q_next": d.next_attempt_at.map(ms),
                "q_created": ms(d.created_at), "q_status": d.status.as_str(),
            },
        )
    }

    fn delivery_from(&self, d: Document) -> StoreResult<Delivery> {
        let tenant = d.get_str("tenant_id").unwrap_or_default().to_string();
        let mut dl: Delivery = self.codec.from_plain("delivery", to_json(d)?)?;
        dl.tenant_id = tenant;
        Ok(dl)
    }

    pub(super) async fn add_deliveries(&self, ds: &[Delivery]) -> StoreResult<()> {
        for d in ds {
            let r = self
                .col("notification_deliveries")
                .insert_one(self.delivery_doc(d)?)
                .await;
            match r.map_err(super::classify) {
                Ok(_) | Err(super::super::StoreError::Duplicate { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    pub(super) async fn claim_deliveries(
        &self,
        now: Timestamp,
        until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<Delivery>> {
        let due = doc! {"q_status": "pending", "q_next": {"$lte": ms(now)}};
        let docs = collect(
            self.col("notification_deliveries")
                .find(due.clone())
                .sort(doc! {"q_next": 1, "q_created": 1})
                .limit(i64::from(limit))
                .await?,
        )
        .await?;
        let mut claimed = Vec::new();
        for d in docs {
            let mut dl = self.delivery_from(d)?;
            dl.next_attempt_at = Some(until);
            // Claimed only if still due: another sender may have taken it meanwhile.
            let mut filter = due.clone();
            filter.insert("_id", &dl.id);
            let r = self
                .col("notification_deliveries")
                .replace_one(filter, self.delivery_doc(&dl)?)
                .await?;
            if r.modified_count == 1 {
                claimed.push(dl);
            }
        }
        Ok(claimed)
    }

    pub(super) async fn update_delivery(&self, d: &Delivery) -> StoreResult<()> {
        self.col("notification_deliveries")
            .replace_one(doc! {"_id": &d.id}, self.delivery_doc(d)?)
            .await?;
        Ok(())
    }

    pub(super) async fn list_deliveries(
        &self,
        tenant: &str,
        rule: Option<&str>,
        page: PageRequest,
    ) -> StoreResult<Page<Delivery>> {
        let mut filter = doc! {"tenant_id": tenant};
        if let Some(r) = rule {
            filter.insert("rule_id", r);
        }
        let total = self
            .col("notification_deliveries")
            .count_documents(filter.clone())
            .await?;
        let docs = collect(
            self.col("notification_deliveries")
                .find(filter)
                .sort(doc! {"q_created": -1, "event_seq": -1})
                .skip(page.offset())
                .limit(i64::from(page.page_size))
                .await?,
        )
        .await?;
        let items = docs
            .into_iter()
            .map(|d| self.delivery_from(d))
            .collect::<StoreResult<_>>()?;
        Ok(Page {
            items,
            total,
            page: page.page,
            page_size: page.page_size,
        })
    }
}
