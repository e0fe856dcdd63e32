// GraphQL documents for action templates: the list, one template with its full document, and
// create / update / delete (input: `ActionTemplateInput`, converted from the specification's
// template document by templates/input.ts).
import { graphql } from '../gql';

export const TemplateFieldsFragment = graphql(`
  fragment TemplateFields on ActionTemplate {
    templateId
    name
    description
    category
    actionType
    version
    parameterDefinitions {
      name
      type
      required
      default
      description
      validation
      min
      max
      values
    }
    commandTemplate
    executionSettings {
      timeoutSeconds
      retryCount
      retryDelaySeconds
      requiresLock
      parallelExecution
    }
    successConditions {
      exitCode
      outputContains
      outputNotContains
      executionTimeMax
    }
    applicableServerTags
    metadata {
      createdAt
      createdBy
      updatedAt
      usageCount
    }
  }
`);

export const TemplatesQuery = graphql(`
  query ActionTemplates {
    actionTemplates(first: 500) {
      totalCount
      nodes {
        ...TemplateFields
      }
    }
  }
`);

export const TemplateQuery = graphql(`
  query ActionTemplate($id: String!) {
    actionTemplate(id: $id) {
      ...TemplateFields
    }
  }
`);

export const CreateTemplateMutation = graphql(`
  mutation CreateActionTemplate($input: ActionTemplateInput!) {
    createActionTemplate(input: $input) {
      actionTemplate {
        ...TemplateFields
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const UpdateTemplateMutation = graphql(`
  mutation UpdateActionTemplate($id: String!, $input: ActionTemplateInput!) {
    updateActionTemplate(id: $id, input: $input) {
      actionTemplate {
        ...TemplateFields
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const DeleteTemplateMutation = graphql(`
  mutation DeleteActionTemplate($id: String!) {
    deleteActionTemplate(id: $id) {
      deletedId
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);
