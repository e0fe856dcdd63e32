// GraphQL documents for notification rules (admins): the rules (targets masked, secrets never
// shown), their delivery history, and create / update / delete / send a test.
import { graphql } from '../gql';

export const NotificationRuleFieldsFragment = graphql(`
  fragment NotificationRuleFields on NotificationRule {
    ruleId
    name
    channel
    target
    hasSecret
    events
    enabled
    createdBy
    createdAt
    updatedAt
  }
`);

export const NotificationRulesQuery = graphql(`
  query NotificationRules {
    notificationRules(first: 500) {
      totalCount
      nodes {
        ...NotificationRuleFields
      }
    }
  }
`);

export const DeliveryFieldsFragment = graphql(`
  fragment DeliveryFields on Delivery {
    id
    ruleId
    eventSeq
    event
    subject
    channel
    status
    attempts
    lastError
    nextAttemptAt
    createdAt
    deliveredAt
  }
`);

export const NotificationDeliveriesQuery = graphql(`
  query NotificationDeliveries($ruleId: String, $first: Int!, $after: String) {
    notificationDeliveries(ruleId: $ruleId, first: $first, after: $after) {
      totalCount
      pageInfo {
        ...PageInfoFields
      }
      nodes {
        ...DeliveryFields
      }
    }
  }
`);

export const CreateNotificationRuleMutation = graphql(`
  mutation CreateNotificationRule($input: NotificationRuleInput!) {
    createNotificationRule(input: $input) {
      rule {
        ...NotificationRuleFields
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const UpdateNotificationRuleMutation = graphql(`
  mutation UpdateNotificationRule($id: String!, $input: NotificationRuleInput!) {
    updateNotificationRule(id: $id, input: $input) {
      rule {
        ...NotificationRuleFields
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const DeleteNotificationRuleMutation = graphql(`
  mutation DeleteNotificationRule($id: String!) {
    deleteNotificationRule(id: $id) {
      deletedId
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const TestNotificationRuleMutation = graphql(`
  mutation TestNotificationRule($id: String!) {
    testNotificationRule(id: $id) {
      eventId
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);
