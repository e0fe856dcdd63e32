// GraphQL documents for action templates: the list, one template with its full document, and
// create / update / delete (input: the specification's template document without metadata).
import { graphql } from '../gql';

export const TemplateFieldsFragment = graphql(`
  fragment TemplateFields on ActionTemplate {
    id
    name
    description
    category
    actionType
    version
    parameters
    commandTemplate
    executionConfig
    successCriteria
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
    actionTemplates {
      ...TemplateFields
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
  mutation CreateActionTemplate($input: JSON!) {
    createActionTemplate(input: $input) {
      ...TemplateFields
    }
  }
`);

export const UpdateTemplateMutation = graphql(`
  mutation UpdateActionTemplate($id: String!, $input: JSON!) {
    updateActionTemplate(id: $id, input: $input) {
      ...TemplateFields
    }
  }
`);

export const DeleteTemplateMutation = graphql(`
  mutation DeleteActionTemplate($id: String!) {
    deleteActionTemplate(id: $id)
  }
`);
