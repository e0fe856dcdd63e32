//! Action templates in MongoDB (`_id` the template id); a name is unique within its tenant.

use super::super::StoreResult;
use super::{MongoStore, collect, named, to_bson, to_json};
use crate::model::{ActionTemplate, Page, PageRequest};
use futures::FutureExt;
use mongodb::bson::doc;

impl MongoStore {
    fn template_doc(&self, t: &ActionTemplate) -> StoreResult<mongodb::bson::Document> {
        to_bson(&self.codec.template(t)?, doc! {"_id": &t.id})
    }

    pub(super) async fn insert_template(&self, t: &ActionTemplate) -> StoreResult<()> {
        self.col("action_templates")
            .insert_one(self.template_doc(t)?)
            .await
            .map_err(super::classify)
            .map_err(named("template_name"))?;
        Ok(())
    }

    pub(super) async fn put_template(&self, t: &ActionTemplate) -> StoreResult<()> {
        self.col("action_templates")
            .replace_one(
                doc! {"_id": &t.id, "tenant_id": &t.tenant_id},
                self.template_doc(t)?,
            )
            .await
            .map_err(super::classify)
            .map_err(named("template_name"))?;
        Ok(())
    }

    pub(super) async fn count_template_use(&self, tenant: &str, id: &str) -> StoreResult<()> {
        self.txn((self, tenant, id), |s, &(st, tenant, id)| {
            async move {
                let Some(d) = st
                    .col("action_templates")
                    .find_one(doc! {"_id": id, "tenant_id": tenant})
                    .session(&mut *s)
                    .await?
                else {
                    return Ok(());
                };
                let mut t = st.codec.template_from(to_json(d)?)?;
                t.metadata.usage_count += 1;
                st.col("action_templates")
                    .replace_one(doc! {"_id": id}, st.template_doc(&t)?)
                    .session(&mut *s)
                    .await?;
                Ok(())
            }
            .boxed()
        })
        .await
    }

    pub(super) async fn delete_template(&self, tenant: &str, id: &str) -> StoreResult<bool> {
        Ok(self
            .col("action_templates")
            .delete_one(doc! {"_id": id, "tenant_id": tenant})
            .await?
            .deleted_count
            > 0)
    }

    pub(super) async fn get_template(
        &self,
        tenant: &str,
        id: &str,
    ) -> StoreResult<Option<ActionTemplate>> {
        self.col("action_templates")
            .find_one(doc! {"_id": id, "tenant_id": tenant})
            .await?
            .map(|d| self.codec.template_from(to_json(d)?))
            .transpose()
    }

    pub(super) async fn list_templates(
        &self,
        tenant: &str,
        q: Option<&str>,
        page: PageRequest,
    ) -> StoreResult<Page<ActionTemplate>> {
        let mut filter = doc! {"tenant_id": tenant};
        if let Some(q) = q.filter(|q| !q.is_empty()) {
            filter.insert(
                "name",
                doc! {"$regex": super::servers::literal(q), "$options": "i"},
            );
        }
        let total = self
            .col("action_templates")
            .count_documents(filter.clone())
            .await?;
        let docs = collect(
            self.col("action_templates")
                .find(filter)
                .sort(doc! {"name": 1})
                .skip(page.offset())
                .limit(i64::from(page.page_size))
                .await?,
        )
        .await?;
        let items = docs
            .into_iter()
            .map(|d| self.codec.template_from(to_json(d)?))
            .collect::<StoreResult<_>>()?;
        Ok(Page {
            items,
            total,
            page: page.page,
            page_size: page.page_size,
        })
    }
}
