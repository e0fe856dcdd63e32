/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  fragment LockFields on ServerLock {\n    lockId\n    serverId\n    lockType\n    status\n    fencingToken\n    releasedBy\n    lockedBy {\n      processId\n      executionId\n      userId\n    }\n    lockMetadata {\n      reason\n      priority\n      estimatedDurationMinutes\n    }\n    timing {\n      acquiredAt\n      expiresAt\n      currentExtensions\n      maxExtensionCount\n      releasedAt\n    }\n  }\n": typeof types.LockFieldsFragmentDoc,
    "\n  query ServerLocks($activeOnly: Boolean!) {\n    serverLocks(activeOnly: $activeOnly) {\n      ...LockFields\n    }\n  }\n": typeof types.ServerLocksDocument,
    "\n  mutation AcquireLock($input: JSON!) {\n    acquireLock(input: $input) {\n      ...LockFields\n    }\n  }\n": typeof types.AcquireLockDocument,
    "\n  mutation ExtendLock($lockId: String!, $minutes: Int!) {\n    extendLock(lockId: $lockId, minutes: $minutes) {\n      ...LockFields\n    }\n  }\n": typeof types.ExtendLockDocument,
    "\n  mutation ReleaseLock($lockId: String!) {\n    releaseLock(lockId: $lockId) {\n      ...LockFields\n    }\n  }\n": typeof types.ReleaseLockDocument,
    "\n  query LockServerOptions {\n    servers(page: 1, pageSize: 500) {\n      items {\n        serverId\n        hostname\n      }\n    }\n  }\n": typeof types.LockServerOptionsDocument,
    "\n  mutation ForceReleaseLock($lockId: String!) {\n    forceReleaseLock(lockId: $lockId) {\n      ...LockFields\n    }\n  }\n": typeof types.ForceReleaseLockDocument,
    "\n  query Schedules {\n    schedules {\n      id\n      name\n      trigger\n      execution\n      enabled\n      createdBy\n      nextRunAt\n      lastRunAt\n    }\n  }\n": typeof types.SchedulesDocument,
    "\n  mutation CreateSchedule($input: JSON!) {\n    createSchedule(input: $input) {\n      id\n      name\n      trigger\n      execution\n      enabled\n      createdBy\n      nextRunAt\n      lastRunAt\n    }\n  }\n": typeof types.CreateScheduleDocument,
    "\n  query CronPreview($expression: String!, $count: Int!) {\n    cronPreview(expression: $expression, count: $count) {\n      valid\n      nextRuns\n      error\n    }\n  }\n": typeof types.CronPreviewDocument,
    "\n  mutation DeleteSchedule($id: String!) {\n    deleteSchedule(id: $id)\n  }\n": typeof types.DeleteScheduleDocument,
    "\n  query AuditLog($filter: AuditFilter, $page: Int!, $pageSize: Int!) {\n    auditLog(filter: $filter, page: $page, pageSize: $pageSize) {\n      items\n      total\n      page\n      pageSize\n    }\n  }\n": typeof types.AuditLogDocument,
    "\n  query VerifyAuditChain {\n    verifyAuditChain {\n      intact\n      firstBrokenSeq\n    }\n  }\n": typeof types.VerifyAuditChainDocument,
    "\n  fragment CredentialsFields on Credentials {\n    certificateFingerprint\n    certificateNotAfter\n    lastRotation\n    revoked\n  }\n": typeof types.CredentialsFieldsFragmentDoc,
    "\n  query AgentServers($page: Int!, $pageSize: Int!) {\n    servers(page: $page, pageSize: $pageSize) {\n      total\n      items {\n        serverId\n        hostname\n        environment\n        status {\n          current\n          lastHeartbeat\n        }\n        credentials {\n          ...CredentialsFields\n        }\n      }\n    }\n  }\n": typeof types.AgentServersDocument,
    "\n  mutation RevokeAgent($serverId: String!) {\n    revokeAgent(serverId: $serverId) {\n      serverId\n      credentials {\n        ...CredentialsFields\n      }\n    }\n  }\n": typeof types.RevokeAgentDocument,
    "\n  mutation CreateEnrollmentToken($ttlHours: Int!, $uses: Int!, $environment: String, $tags: [String!]!) {\n    createEnrollmentToken(ttlHours: $ttlHours, uses: $uses, environment: $environment, tags: $tags) {\n      token\n      uses\n      expiresInHours\n      caPem\n      caSha256\n      hubUrl\n      enrollCommand\n    }\n  }\n": typeof types.CreateEnrollmentTokenDocument,
    "\n  fragment ExecutionSummary on Execution {\n    executionId\n    initiatedBy\n    executionType\n    targetServers\n    actionTemplateId\n    action\n    parameters\n    overall\n    priority\n    progress\n    estimatedCompletion\n    skippedReason\n    cancelledBy\n    maxConcurrency\n    errorThreshold\n    timing {\n      createdAt\n      startedAt\n      completedAt\n      durationSeconds\n    }\n    results {\n      successCount\n      failureCount\n      totalCount\n    }\n  }\n": typeof types.ExecutionSummaryFragmentDoc,
    "\n  fragment ExecutionMonitor on Execution {\n    ...ExecutionSummary\n    requiresLock\n    failIfLocked\n    retryCount\n    retryDelaySeconds\n    results {\n      details {\n        serverId\n        jobId\n        attempt\n        startedAt\n        finishedAt\n        status\n        exitCode\n        executionTime\n        error\n      }\n    }\n  }\n": typeof types.ExecutionMonitorFragmentDoc,
    "\n  query Execution($executionId: String!) {\n    execution(executionId: $executionId) {\n      ...ExecutionMonitor\n    }\n  }\n": typeof types.ExecutionDocument,
    "\n  fragment LogLineFields on LogLine {\n    cursor\n    serverId\n    jobId\n    attempt\n    seq\n    stream\n    data\n    timestamp\n  }\n": typeof types.LogLineFieldsFragmentDoc,
    "\n  subscription ExecutionUpdates($executionId: String!) {\n    executionUpdates(executionId: $executionId) {\n      kind\n      missed\n      execution {\n        ...ExecutionMonitor\n      }\n      output {\n        ...LogLineFields\n      }\n    }\n  }\n": typeof types.ExecutionUpdatesDocument,
    "\n  subscription ExecutionsFeed {\n    executionsFeed {\n      kind\n      execution {\n        ...ExecutionSummary\n      }\n    }\n  }\n": typeof types.ExecutionsFeedDocument,
    "\n  query Executions($filter: ExecutionFilter, $page: Int!, $pageSize: Int!, $orderBy: ExecutionOrder) {\n    executions(filter: $filter, page: $page, pageSize: $pageSize, orderBy: $orderBy) {\n      total\n      page\n      pageSize\n      items {\n        ...ExecutionSummary\n      }\n    }\n  }\n": typeof types.ExecutionsDocument,
    "\n  mutation StartExecution($input: StartExecutionInput!) {\n    startExecution(input: $input) {\n      ...ExecutionSummary\n    }\n  }\n": typeof types.StartExecutionDocument,
    "\n  mutation RerunExecution($executionId: String!, $onlyFailed: Boolean!) {\n    rerunExecution(executionId: $executionId, onlyFailed: $onlyFailed) {\n      ...ExecutionSummary\n    }\n  }\n": typeof types.RerunExecutionDocument,
    "\n  mutation CancelExecution($executionId: String!) {\n    cancelExecution(executionId: $executionId) {\n      ...ExecutionMonitor\n    }\n  }\n": typeof types.CancelExecutionDocument,
    "\n  query PreviewExecution($input: StartExecutionInput!) {\n    previewExecution(input: $input) {\n      matchedCount\n      runCount\n      servers {\n        serverId\n        command\n        skipped\n        reason\n      }\n    }\n  }\n": typeof types.PreviewExecutionDocument,
    "\n  query ServerExecutions($serverId: String!, $pageSize: Int!) {\n    executions(filter: { serverId: $serverId }, page: 1, pageSize: $pageSize) {\n      total\n      items {\n        ...ExecutionSummary\n        results {\n          details {\n            jobId\n            serverId\n            status\n            error\n          }\n        }\n      }\n    }\n  }\n": typeof types.ServerExecutionsDocument,
    "\n  query Me {\n    me {\n      email\n      role\n    }\n  }\n": typeof types.MeDocument,
    "\n  query ServerMetricsHistory($serverId: String!, $range: MetricsRange!) {\n    server(serverId: $serverId) {\n      serverId\n      metricsHistory(range: $range) {\n        at\n        samples\n        cpuPercent {\n          avg\n          max\n        }\n        memoryUsagePercent {\n          avg\n          max\n        }\n        diskUsagePercent {\n          avg\n          max\n        }\n        load1 {\n          avg\n          max\n        }\n      }\n    }\n  }\n": typeof types.ServerMetricsHistoryDocument,
    "\n  fragment NotificationRuleFields on NotificationRule {\n    id\n    name\n    channel\n    target\n    hasSecret\n    events\n    enabled\n    createdBy\n    createdAt\n    updatedAt\n  }\n": typeof types.NotificationRuleFieldsFragmentDoc,
    "\n  query NotificationRules {\n    notificationRules {\n      ...NotificationRuleFields\n    }\n  }\n": typeof types.NotificationRulesDocument,
    "\n  fragment DeliveryFields on Delivery {\n    id\n    ruleId\n    eventSeq\n    event\n    subject\n    channel\n    status\n    attempts\n    lastError\n    nextAttemptAt\n    createdAt\n    deliveredAt\n  }\n": typeof types.DeliveryFieldsFragmentDoc,
    "\n  query NotificationDeliveries($ruleId: String, $page: Int!, $pageSize: Int!) {\n    notificationDeliveries(ruleId: $ruleId, page: $page, pageSize: $pageSize) {\n      total\n      items {\n        ...DeliveryFields\n      }\n    }\n  }\n": typeof types.NotificationDeliveriesDocument,
    "\n  mutation CreateNotificationRule($input: NotificationRuleInput!) {\n    createNotificationRule(input: $input) {\n      ...NotificationRuleFields\n    }\n  }\n": typeof types.CreateNotificationRuleDocument,
    "\n  mutation UpdateNotificationRule($id: String!, $input: NotificationRuleInput!) {\n    updateNotificationRule(id: $id, input: $input) {\n      ...NotificationRuleFields\n    }\n  }\n": typeof types.UpdateNotificationRuleDocument,
    "\n  mutation DeleteNotificationRule($id: String!) {\n    deleteNotificationRule(id: $id)\n  }\n": typeof types.DeleteNotificationRuleDocument,
    "\n  mutation TestNotificationRule($id: String!) {\n    testNotificationRule(id: $id)\n  }\n": typeof types.TestNotificationRuleDocument,
    "\n  query OverviewServers {\n    servers(page: 1, pageSize: 500) {\n      total\n      items {\n        ...ServerRow\n        credentials {\n          ...CredentialsFields\n        }\n      }\n    }\n  }\n": typeof types.OverviewServersDocument,
    "\n  query OverviewRunning {\n    executions(filter: { status: RUNNING }, page: 1, pageSize: 50) {\n      total\n      items {\n        ...ExecutionSummary\n      }\n    }\n  }\n": typeof types.OverviewRunningDocument,
    "\n  query OverviewOutcomes($from: DateTime!, $page: Int!, $pageSize: Int!) {\n    executions(filter: { from: $from }, page: $page, pageSize: $pageSize) {\n      total\n      items {\n        executionId\n        overall\n        timing {\n          createdAt\n        }\n      }\n    }\n  }\n": typeof types.OverviewOutcomesDocument,
    "\n  fragment ServerRow on Server {\n    serverId\n    hostname\n    ipAddress\n    environment\n    serverGroup\n    tags\n    status {\n      current\n      lastHeartbeat\n      cpuPercent\n      memoryUsagePercent\n      diskUsagePercent\n    }\n  }\n": typeof types.ServerRowFragmentDoc,
    "\n  query Servers($filter: ServerFilter, $page: Int!, $pageSize: Int!) {\n    servers(filter: $filter, page: $page, pageSize: $pageSize) {\n      total\n      page\n      pageSize\n      items {\n        ...ServerRow\n      }\n    }\n  }\n": typeof types.ServersDocument,
    "\n  query ServerDetail($serverId: String!) {\n    server(serverId: $serverId) {\n      ...ServerRow\n      capabilities\n      configuration {\n        agentVersion\n        osInfo\n        maxConcurrentJobs\n        timeoutDefault\n      }\n      status {\n        uptimeSeconds\n        loadAverage\n      }\n      credentials {\n        ...CredentialsFields\n      }\n      metadata {\n        createdAt\n        createdBy\n        updatedAt\n        lastSuccessfulExecution\n      }\n    }\n  }\n": typeof types.ServerDetailDocument,
    "\n  subscription ServerUpdates {\n    serverUpdates {\n      ...ServerRow\n    }\n  }\n": typeof types.ServerUpdatesDocument,
    "\n  fragment TemplateFields on ActionTemplate {\n    id\n    name\n    description\n    category\n    actionType\n    version\n    parameters\n    commandTemplate\n    executionConfig\n    successCriteria\n    applicableServerTags\n    metadata {\n      createdAt\n      createdBy\n      updatedAt\n      usageCount\n    }\n  }\n": typeof types.TemplateFieldsFragmentDoc,
    "\n  query ActionTemplates {\n    actionTemplates {\n      ...TemplateFields\n    }\n  }\n": typeof types.ActionTemplatesDocument,
    "\n  query ActionTemplate($id: String!) {\n    actionTemplate(id: $id) {\n      ...TemplateFields\n    }\n  }\n": typeof types.ActionTemplateDocument,
    "\n  mutation CreateActionTemplate($input: JSON!) {\n    createActionTemplate(input: $input) {\n      ...TemplateFields\n    }\n  }\n": typeof types.CreateActionTemplateDocument,
    "\n  mutation UpdateActionTemplate($id: String!, $input: JSON!) {\n    updateActionTemplate(id: $id, input: $input) {\n      ...TemplateFields\n    }\n  }\n": typeof types.UpdateActionTemplateDocument,
    "\n  mutation DeleteActionTemplate($id: String!) {\n    deleteActionTemplate(id: $id)\n  }\n": typeof types.DeleteActionTemplateDocument,
    "\n  fragment UserFields on User {\n    email\n    role\n    tenantId\n    disabled\n  }\n": typeof types.UserFieldsFragmentDoc,
    "\n  query Users {\n    users {\n      ...UserFields\n    }\n  }\n": typeof types.UsersDocument,
    "\n  mutation CreateUser($email: String!, $password: String!, $role: Role!) {\n    createUser(email: $email, password: $password, role: $role) {\n      ...UserFields\n    }\n  }\n": typeof types.CreateUserDocument,
    "\n  mutation UpdateUser($email: String!, $role: Role, $disabled: Boolean, $password: String) {\n    updateUser(email: $email, role: $role, disabled: $disabled, password: $password) {\n      ...UserFields\n    }\n  }\n": typeof types.UpdateUserDocument,
};
const documents: Documents = {
    "\n  fragment LockFields on ServerLock {\n    lockId\n    serverId\n    lockType\n    status\n    fencingToken\n    releasedBy\n    lockedBy {\n      processId\n      executionId\n      userId\n    }\n    lockMetadata {\n      reason\n      priority\n      estimatedDurationMinutes\n    }\n    timing {\n      acquiredAt\n      expiresAt\n      currentExtensions\n      maxExtensionCount\n      releasedAt\n    }\n  }\n": types.LockFieldsFragmentDoc,
    "\n  query ServerLocks($activeOnly: Boolean!) {\n    serverLocks(activeOnly: $activeOnly) {\n      ...LockFields\n    }\n  }\n": types.ServerLocksDocument,
    "\n  mutation AcquireLock($input: JSON!) {\n    acquireLock(input: $input) {\n      ...LockFields\n    }\n  }\n": types.AcquireLockDocument,
    "\n  mutation ExtendLock($lockId: String!, $minutes: Int!) {\n    extendLock(lockId: $lockId, minutes: $minutes) {\n      ...LockFields\n    }\n  }\n": types.ExtendLockDocument,
    "\n  mutation ReleaseLock($lockId: String!) {\n    releaseLock(lockId: $lockId) {\n      ...LockFields\n    }\n  }\n": types.ReleaseLockDocument,
    "\n  query LockServerOptions {\n    servers(page: 1, pageSize: 500) {\n      items {\n        serverId\n        hostname\n      }\n    }\n  }\n": types.LockServerOptionsDocument,
    "\n  mutation ForceReleaseLock($lockId: String!) {\n    forceReleaseLock(lockId: $lockId) {\n      ...LockFields\n    }\n  }\n": types.ForceReleaseLockDocument,
    "\n  query Schedules {\n    schedules {\n      id\n      name\n      trigger\n      execution\n      enabled\n      createdBy\n      nextRunAt\n      lastRunAt\n    }\n  }\n": types.SchedulesDocument,
    "\n  mutation CreateSchedule($input: JSON!) {\n    createSchedule(input: $input) {\n      id\n      name\n      trigger\n      execution\n      enabled\n      createdBy\n      nextRunAt\n      lastRunAt\n    }\n  }\n": types.CreateScheduleDocument,
    "\n  query CronPreview($expression: String!, $count: Int!) {\n    cronPreview(expression: $expression, count: $count) {\n      valid\n      nextRuns\n      error\n    }\n  }\n": types.CronPreviewDocument,
    "\n  mutation DeleteSchedule($id: String!) {\n    deleteSchedule(id: $id)\n  }\n": types.DeleteScheduleDocument,
    "\n  query AuditLog($filter: AuditFilter, $page: Int!, $pageSize: Int!) {\n    auditLog(filter: $filter, page: $page, pageSize: $pageSize) {\n      items\n      total\n      page\n      pageSize\n    }\n  }\n": types.AuditLogDocument,
    "\n  query VerifyAuditChain {\n    verifyAuditChain {\n      intact\n      firstBrokenSeq\n    }\n  }\n": types.VerifyAuditChainDocument,
    "\n  fragment CredentialsFields on Credentials {\n    certificateFingerprint\n    certificateNotAfter\n    lastRotation\n    revoked\n  }\n": types.CredentialsFieldsFragmentDoc,
    "\n  query AgentServers($page: Int!, $pageSize: Int!) {\n    servers(page: $page, pageSize: $pageSize) {\n      total\n      items {\n        serverId\n        hostname\n        environment\n        status {\n          current\n          lastHeartbeat\n        }\n        credentials {\n          ...CredentialsFields\n        }\n      }\n    }\n  }\n": types.AgentServersDocument,
    "\n  mutation RevokeAgent($serverId: String!) {\n    revokeAgent(serverId: $serverId) {\n      serverId\n      credentials {\n        ...CredentialsFields\n      }\n    }\n  }\n": types.RevokeAgentDocument,
    "\n  mutation CreateEnrollmentToken($ttlHours: Int!, $uses: Int!, $environment: String, $tags: [String!]!) {\n    createEnrollmentToken(ttlHours: $ttlHours, uses: $uses, environment: $environment, tags: $tags) {\n      token\n      uses\n      expiresInHours\n      caPem\n      caSha256\n      hubUrl\n      enrollCommand\n    }\n  }\n": types.CreateEnrollmentTokenDocument,
    "\n  fragment ExecutionSummary on Execution {\n    executionId\n    initiatedBy\n    executionType\n    targetServers\n    actionTemplateId\n    action\n    parameters\n    overall\n    priority\n    progress\n    estimatedCompletion\n    skippedReason\n    cancelledBy\n    maxConcurrency\n    errorThreshold\n    timing {\n      createdAt\n      startedAt\n      completedAt\n      durationSeconds\n    }\n    results {\n      successCount\n      failureCount\n      totalCount\n    }\n  }\n": types.ExecutionSummaryFragmentDoc,
    "\n  fragment ExecutionMonitor on Execution {\n    ...ExecutionSummary\n    requiresLock\n    failIfLocked\n    retryCount\n    retryDelaySeconds\n    results {\n      details {\n        serverId\n        jobId\n        attempt\n        startedAt\n        finishedAt\n        status\n        exitCode\n        executionTime\n        error\n      }\n    }\n  }\n": types.ExecutionMonitorFragmentDoc,
    "\n  query Execution($executionId: String!) {\n    execution(executionId: $executionId) {\n      ...ExecutionMonitor\n    }\n  }\n": types.ExecutionDocument,
    "\n  fragment LogLineFields on LogLine {\n    cursor\n    serverId\n    jobId\n    attempt\n    seq\n    stream\n    data\n    timestamp\n  }\n": types.LogLineFieldsFragmentDoc,
    "\n  subscription ExecutionUpdates($executionId: String!) {\n    executionUpdates(executionId: $executionId) {\n      kind\n      missed\n      execution {\n        ...ExecutionMonitor\n      }\n      output {\n        ...LogLineFields\n      }\n    }\n  }\n": types.ExecutionUpdatesDocument,
    "\n  subscription ExecutionsFeed {\n    executionsFeed {\n      kind\n      execution {\n        ...ExecutionSummary\n      }\n    }\n  }\n": types.ExecutionsFeedDocument,
    "\n  query Executions($filter: ExecutionFilter, $page: Int!, $pageSize: Int!, $orderBy: ExecutionOrder) {\n    executions(filter: $filter, page: $page, pageSize: $pageSize, orderBy: $orderBy) {\n      total\n      page\n      pageSize\n      items {\n        ...ExecutionSummary\n      }\n    }\n  }\n": types.ExecutionsDocument,
    "\n  mutation StartExecution($input: StartExecutionInput!) {\n    startExecution(input: $input) {\n      ...ExecutionSummary\n    }\n  }\n": types.StartExecutionDocument,
    "\n  mutation RerunExecution($executionId: String!, $onlyFailed: Boolean!) {\n    rerunExecution(executionId: $executionId, onlyFailed: $onlyFailed) {\n      ...ExecutionSummary\n    }\n  }\n": types.RerunExecutionDocument,
    "\n  mutation CancelExecution($executionId: String!) {\n    cancelExecution(executionId: $executionId) {\n      ...ExecutionMonitor\n    }\n  }\n": types.CancelExecutionDocument,
    "\n  query PreviewExecution($input: StartExecutionInput!) {\n    previewExecution(input: $input) {\n      matchedCount\n      runCount\n      servers {\n        serverId\n        command\n        skipped\n        reason\n      }\n    }\n  }\n": types.PreviewExecutionDocument,
    "\n  query ServerExecutions($serverId: String!, $pageSize: Int!) {\n    executions(filter: { serverId: $serverId }, page: 1, pageSize: $pageSize) {\n      total\n      items {\n        ...ExecutionSummary\n        results {\n          details {\n            jobId\n            serverId\n            status\n            error\n          }\n        }\n      }\n    }\n  }\n": types.ServerExecutionsDocument,
    "\n  query Me {\n    me {\n      email\n      role\n    }\n  }\n": types.MeDocument,
    "\n  query ServerMetricsHistory($serverId: String!, $range: MetricsRange!) {\n    server(serverId: $serverId) {\n      serverId\n      metricsHistory(range: $range) {\n        at\n        samples\n        cpuPercent {\n          avg\n          max\n        }\n        memoryUsagePercent {\n          avg\n          max\n        }\n        diskUsagePercent {\n          avg\n          max\n        }\n        load1 {\n          avg\n          max\n        }\n      }\n    }\n  }\n": types.ServerMetricsHistoryDocument,
    "\n  fragment NotificationRuleFields on NotificationRule {\n    id\n    name\n    channel\n    target\n    hasSecret\n    events\n    enabled\n    createdBy\n    createdAt\n    updatedAt\n  }\n": types.NotificationRuleFieldsFragmentDoc,
    "\n  query NotificationRules {\n    notificationRules {\n      ...NotificationRuleFields\n    }\n  }\n": types.NotificationRulesDocument,
    "\n  fragment DeliveryFields on Delivery {\n    id\n    ruleId\n    eventSeq\n    event\n    subject\n    channel\n    status\n    attempts\n    lastError\n    nextAttemptAt\n    createdAt\n    deliveredAt\n  }\n": types.DeliveryFieldsFragmentDoc,
    "\n  query NotificationDeliveries($ruleId: String, $page: Int!, $pageSize: Int!) {\n    notificationDeliveries(ruleId: $ruleId, page: $page, pageSize: $pageSize) {\n      total\n      items {\n        ...DeliveryFields\n      }\n    }\n  }\n": types.NotificationDeliveriesDocument,
    "\n  mutation CreateNotificationRule($input: NotificationRuleInput!) {\n    createNotificationRule(input: $input) {\n      ...NotificationRuleFields\n    }\n  }\n": types.CreateNotificationRuleDocument,
    "\n  mutation UpdateNotificationRule($id: String!, $input: NotificationRuleInput!) {\n    updateNotificationRule(id: $id, input: $input) {\n      ...NotificationRuleFields\n    }\n  }\n": types.UpdateNotificationRuleDocument,
    "\n  mutation DeleteNotificationRule($id: String!) {\n    deleteNotificationRule(id: $id)\n  }\n": types.DeleteNotificationRuleDocument,
    "\n  mutation TestNotificationRule($id: String!) {\n    testNotificationRule(id: $id)\n  }\n": types.TestNotificationRuleDocument,
    "\n  query OverviewServers {\n    servers(page: 1, pageSize: 500) {\n      total\n      items {\n        ...ServerRow\n        credentials {\n          ...CredentialsFields\n        }\n      }\n    }\n  }\n": types.OverviewServersDocument,
    "\n  query OverviewRunning {\n    executions(filter: { status: RUNNING }, page: 1, pageSize: 50) {\n      total\n      items {\n        ...ExecutionSummary\n      }\n    }\n  }\n": types.OverviewRunningDocument,
    "\n  query OverviewOutcomes($from: DateTime!, $page: Int!, $pageSize: Int!) {\n    executions(filter: { from: $from }, page: $page, pageSize: $pageSize) {\n      total\n      items {\n        executionId\n        overall\n        timing {\n          createdAt\n        }\n      }\n    }\n  }\n": types.OverviewOutcomesDocument,
    "\n  fragment ServerRow on Server {\n    serverId\n    hostname\n    ipAddress\n    environment\n    serverGroup\n    tags\n    status {\n      current\n      lastHeartbeat\n      cpuPercent\n      memoryUsagePercent\n      diskUsagePercent\n    }\n  }\n": types.ServerRowFragmentDoc,
    "\n  query Servers($filter: ServerFilter, $page: Int!, $pageSize: Int!) {\n    servers(filter: $filter, page: $page, pageSize: $pageSize) {\n      total\n      page\n      pageSize\n      items {\n        ...ServerRow\n      }\n    }\n  }\n": types.ServersDocument,
    "\n  query ServerDetail($serverId: String!) {\n    server(serverId: $serverId) {\n      ...ServerRow\n      capabilities\n      configuration {\n        agentVersion\n        osInfo\n        maxConcurrentJobs\n        timeoutDefault\n      }\n      status {\n        uptimeSeconds\n        loadAverage\n      }\n      credentials {\n        ...CredentialsFields\n      }\n      metadata {\n        createdAt\n        createdBy\n        updatedAt\n        lastSuccessfulExecution\n      }\n    }\n  }\n": types.ServerDetailDocument,
    "\n  subscription ServerUpdates {\n    serverUpdates {\n      ...ServerRow\n    }\n  }\n": types.ServerUpdatesDocument,
    "\n  fragment TemplateFields on ActionTemplate {\n    id\n    name\n    description\n    category\n    actionType\n    version\n    parameters\n    commandTemplate\n    executionConfig\n    successCriteria\n    applicableServerTags\n    metadata {\n      createdAt\n      createdBy\n      updatedAt\n      usageCount\n    }\n  }\n": types.TemplateFieldsFragmentDoc,
    "\n  query ActionTemplates {\n    actionTemplates {\n      ...TemplateFields\n    }\n  }\n": types.ActionTemplatesDocument,
    "\n  query ActionTemplate($id: String!) {\n    actionTemplate(id: $id) {\n      ...TemplateFields\n    }\n  }\n": types.ActionTemplateDocument,
    "\n  mutation CreateActionTemplate($input: JSON!) {\n    createActionTemplate(input: $input) {\n      ...TemplateFields\n    }\n  }\n": types.CreateActionTemplateDocument,
    "\n  mutation UpdateActionTemplate($id: String!, $input: JSON!) {\n    updateActionTemplate(id: $id, input: $input) {\n      ...TemplateFields\n    }\n  }\n": types.UpdateActionTemplateDocument,
    "\n  mutation DeleteActionTemplate($id: String!) {\n    deleteActionTemplate(id: $id)\n  }\n": types.DeleteActionTemplateDocument,
    "\n  fragment UserFields on User {\n    email\n    role\n    tenantId\n    disabled\n  }\n": types.UserFieldsFragmentDoc,
    "\n  query Users {\n    users {\n      ...UserFields\n    }\n  }\n": types.UsersDocument,
    "\n  mutation CreateUser($email: String!, $password: String!, $role: Role!) {\n    createUser(email: $email, password: $password, role: $role) {\n      ...UserFields\n    }\n  }\n": types.CreateUserDocument,
    "\n  mutation UpdateUser($email: String!, $role: Role, $disabled: Boolean, $password: String) {\n    updateUser(email: $email, role: $role, disabled: $disabled, password: $password) {\n      ...UserFields\n    }\n  }\n": types.UpdateUserDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment LockFields on ServerLock {\n    lockId\n    serverId\n    lockType\n    status\n    fencingToken\n    releasedBy\n    lockedBy {\n      processId\n      executionId\n      userId\n    }\n    lockMetadata {\n      reason\n      priority\n      estimatedDurationMinutes\n    }\n    timing {\n      acquiredAt\n      expiresAt\n      currentExtensions\n      maxExtensionCount\n      releasedAt\n    }\n  }\n"): (typeof documents)["\n  fragment LockFields on ServerLock {\n    lockId\n    serverId\n    lockType\n    status\n    fencingToken\n    releasedBy\n    lockedBy {\n      processId\n      executionId\n      userId\n    }\n    lockMetadata {\n      reason\n      priority\n      estimatedDurationMinutes\n    }\n    timing {\n      acquiredAt\n      expiresAt\n      currentExtensions\n      maxExtensionCount\n      releasedAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ServerLocks($activeOnly: Boolean!) {\n    serverLocks(activeOnly: $activeOnly) {\n      ...LockFields\n    }\n  }\n"): (typeof documents)["\n  query ServerLocks($activeOnly: Boolean!) {\n    serverLocks(activeOnly: $activeOnly) {\n      ...LockFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AcquireLock($input: JSON!) {\n    acquireLock(input: $input) {\n      ...LockFields\n    }\n  }\n"): (typeof documents)["\n  mutation AcquireLock($input: JSON!) {\n    acquireLock(input: $input) {\n      ...LockFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ExtendLock($lockId: String!, $minutes: Int!) {\n    extendLock(lockId: $lockId, minutes: $minutes) {\n      ...LockFields\n    }\n  }\n"): (typeof documents)["\n  mutation ExtendLock($lockId: String!, $minutes: Int!) {\n    extendLock(lockId: $lockId, minutes: $minutes) {\n      ...LockFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ReleaseLock($lockId: String!) {\n    releaseLock(lockId: $lockId) {\n      ...LockFields\n    }\n  }\n"): (typeof documents)["\n  mutation ReleaseLock($lockId: String!) {\n    releaseLock(lockId: $lockId) {\n      ...LockFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query LockServerOptions {\n    servers(page: 1, pageSize: 500) {\n      items {\n        serverId\n        hostname\n      }\n    }\n  }\n"): (typeof documents)["\n  query LockServerOptions {\n    servers(page: 1, pageSize: 500) {\n      items {\n        serverId\n        hostname\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ForceReleaseLock($lockId: String!) {\n    forceReleaseLock(lockId: $lockId) {\n      ...LockFields\n    }\n  }\n"): (typeof documents)["\n  mutation ForceReleaseLock($lockId: String!) {\n    forceReleaseLock(lockId: $lockId) {\n      ...LockFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Schedules {\n    schedules {\n      id\n      name\n      trigger\n      execution\n      enabled\n      createdBy\n      nextRunAt\n      lastRunAt\n    }\n  }\n"): (typeof documents)["\n  query Schedules {\n    schedules {\n      id\n      name\n      trigger\n      execution\n      enabled\n      createdBy\n      nextRunAt\n      lastRunAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateSchedule($input: JSON!) {\n    createSchedule(input: $input) {\n      id\n      name\n      trigger\n      execution\n      enabled\n      createdBy\n      nextRunAt\n      lastRunAt\n    }\n  }\n"): (typeof documents)["\n  mutation CreateSchedule($input: JSON!) {\n    createSchedule(input: $input) {\n      id\n      name\n      trigger\n      execution\n      enabled\n      createdBy\n      nextRunAt\n      lastRunAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CronPreview($expression: String!, $count: Int!) {\n    cronPreview(expression: $expression, count: $count) {\n      valid\n      nextRuns\n      error\n    }\n  }\n"): (typeof documents)["\n  query CronPreview($expression: String!, $count: Int!) {\n    cronPreview(expression: $expression, count: $count) {\n      valid\n      nextRuns\n      error\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteSchedule($id: String!) {\n    deleteSchedule(id: $id)\n  }\n"): (typeof documents)["\n  mutation DeleteSchedule($id: String!) {\n    deleteSchedule(id: $id)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AuditLog($filter: AuditFilter, $page: Int!, $pageSize: Int!) {\n    auditLog(filter: $filter, page: $page, pageSize: $pageSize) {\n      items\n      total\n      page\n      pageSize\n    }\n  }\n"): (typeof documents)["\n  query AuditLog($filter: AuditFilter, $page: Int!, $pageSize: Int!) {\n    auditLog(filter: $filter, page: $page, pageSize: $pageSize) {\n      items\n      total\n      page\n      pageSize\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query VerifyAuditChain {\n    verifyAuditChain {\n      intact\n      firstBrokenSeq\n    }\n  }\n"): (typeof documents)["\n  query VerifyAuditChain {\n    verifyAuditChain {\n      intact\n      firstBrokenSeq\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment CredentialsFields on Credentials {\n    certificateFingerprint\n    certificateNotAfter\n    lastRotation\n    revoked\n  }\n"): (typeof documents)["\n  fragment CredentialsFields on Credentials {\n    certificateFingerprint\n    certificateNotAfter\n    lastRotation\n    revoked\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AgentServers($page: Int!, $pageSize: Int!) {\n    servers(page: $page, pageSize: $pageSize) {\n      total\n      items {\n        serverId\n        hostname\n        environment\n        status {\n          current\n          lastHeartbeat\n        }\n        credentials {\n          ...CredentialsFields\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query AgentServers($page: Int!, $pageSize: Int!) {\n    servers(page: $page, pageSize: $pageSize) {\n      total\n      items {\n        serverId\n        hostname\n        environment\n        status {\n          current\n          lastHeartbeat\n        }\n        credentials {\n          ...CredentialsFields\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RevokeAgent($serverId: String!) {\n    revokeAgent(serverId: $serverId) {\n      serverId\n      credentials {\n        ...CredentialsFields\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation RevokeAgent($serverId: String!) {\n    revokeAgent(serverId: $serverId) {\n      serverId\n      credentials {\n        ...CredentialsFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateEnrollmentToken($ttlHours: Int!, $uses: Int!, $environment: String, $tags: [String!]!) {\n    createEnrollmentToken(ttlHours: $ttlHours, uses: $uses, environment: $environment, tags: $tags) {\n      token\n      uses\n      expiresInHours\n      caPem\n      caSha256\n      hubUrl\n      enrollCommand\n    }\n  }\n"): (typeof documents)["\n  mutation CreateEnrollmentToken($ttlHours: Int!, $uses: Int!, $environment: String, $tags: [String!]!) {\n    createEnrollmentToken(ttlHours: $ttlHours, uses: $uses, environment: $environment, tags: $tags) {\n      token\n      uses\n      expiresInHours\n      caPem\n      caSha256\n      hubUrl\n      enrollCommand\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ExecutionSummary on Execution {\n    executionId\n    initiatedBy\n    executionType\n    targetServers\n    actionTemplateId\n    action\n    parameters\n    overall\n    priority\n    progress\n    estimatedCompletion\n    skippedReason\n    cancelledBy\n    maxConcurrency\n    errorThreshold\n    timing {\n      createdAt\n      startedAt\n      completedAt\n      durationSeconds\n    }\n    results {\n      successCount\n      failureCount\n      totalCount\n    }\n  }\n"): (typeof documents)["\n  fragment ExecutionSummary on Execution {\n    executionId\n    initiatedBy\n    executionType\n    targetServers\n    actionTemplateId\n    action\n    parameters\n    overall\n    priority\n    progress\n    estimatedCompletion\n    skippedReason\n    cancelledBy\n    maxConcurrency\n    errorThreshold\n    timing {\n      createdAt\n      startedAt\n      completedAt\n      durationSeconds\n    }\n    results {\n      successCount\n      failureCount\n      totalCount\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ExecutionMonitor on Execution {\n    ...ExecutionSummary\n    requiresLock\n    failIfLocked\n    retryCount\n    retryDelaySeconds\n    results {\n      details {\n        serverId\n        jobId\n        attempt\n        startedAt\n        finishedAt\n        status\n        exitCode\n        executionTime\n        error\n      }\n    }\n  }\n"): (typeof documents)["\n  fragment ExecutionMonitor on Execution {\n    ...ExecutionSummary\n    requiresLock\n    failIfLocked\n    retryCount\n    retryDelaySeconds\n    results {\n      details {\n        serverId\n        jobId\n        attempt\n        startedAt\n        finishedAt\n        status\n        exitCode\n        executionTime\n        error\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Execution($executionId: String!) {\n    execution(executionId: $executionId) {\n      ...ExecutionMonitor\n    }\n  }\n"): (typeof documents)["\n  query Execution($executionId: String!) {\n    execution(executionId: $executionId) {\n      ...ExecutionMonitor\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment LogLineFields on LogLine {\n    cursor\n    serverId\n    jobId\n    attempt\n    seq\n    stream\n    data\n    timestamp\n  }\n"): (typeof documents)["\n  fragment LogLineFields on LogLine {\n    cursor\n    serverId\n    jobId\n    attempt\n    seq\n    stream\n    data\n    timestamp\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ExecutionUpdates($executionId: String!) {\n    executionUpdates(executionId: $executionId) {\n      kind\n      missed\n      execution {\n        ...ExecutionMonitor\n      }\n      output {\n        ...LogLineFields\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription ExecutionUpdates($executionId: String!) {\n    executionUpdates(executionId: $executionId) {\n      kind\n      missed\n      execution {\n        ...ExecutionMonitor\n      }\n      output {\n        ...LogLineFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ExecutionsFeed {\n    executionsFeed {\n      kind\n      execution {\n        ...ExecutionSummary\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription ExecutionsFeed {\n    executionsFeed {\n      kind\n      execution {\n        ...ExecutionSummary\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Executions($filter: ExecutionFilter, $page: Int!, $pageSize: Int!, $orderBy: ExecutionOrder) {\n    executions(filter: $filter, page: $page, pageSize: $pageSize, orderBy: $orderBy) {\n      total\n      page\n      pageSize\n      items {\n        ...ExecutionSummary\n      }\n    }\n  }\n"): (typeof documents)["\n  query Executions($filter: ExecutionFilter, $page: Int!, $pageSize: Int!, $orderBy: ExecutionOrder) {\n    executions(filter: $filter, page: $page, pageSize: $pageSize, orderBy: $orderBy) {\n      total\n      page\n      pageSize\n      items {\n        ...ExecutionSummary\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation StartExecution($input: StartExecutionInput!) {\n    startExecution(input: $input) {\n      ...ExecutionSummary\n    }\n  }\n"): (typeof documents)["\n  mutation StartExecution($input: StartExecutionInput!) {\n    startExecution(input: $input) {\n      ...ExecutionSummary\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RerunExecution($executionId: String!, $onlyFailed: Boolean!) {\n    rerunExecution(executionId: $executionId, onlyFailed: $onlyFailed) {\n      ...ExecutionSummary\n    }\n  }\n"): (typeof documents)["\n  mutation RerunExecution($executionId: String!, $onlyFailed: Boolean!) {\n    rerunExecution(executionId: $executionId, onlyFailed: $onlyFailed) {\n      ...ExecutionSummary\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CancelExecution($executionId: String!) {\n    cancelExecution(executionId: $executionId) {\n      ...ExecutionMonitor\n    }\n  }\n"): (typeof documents)["\n  mutation CancelExecution($executionId: String!) {\n    cancelExecution(executionId: $executionId) {\n      ...ExecutionMonitor\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query PreviewExecution($input: StartExecutionInput!) {\n    previewExecution(input: $input) {\n      matchedCount\n      runCount\n      servers {\n        serverId\n        command\n        skipped\n        reason\n      }\n    }\n  }\n"): (typeof documents)["\n  query PreviewExecution($input: StartExecutionInput!) {\n    previewExecution(input: $input) {\n      matchedCount\n      runCount\n      servers {\n        serverId\n        command\n        skipped\n        reason\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ServerExecutions($serverId: String!, $pageSize: Int!) {\n    executions(filter: { serverId: $serverId }, page: 1, pageSize: $pageSize) {\n      total\n      items {\n        ...ExecutionSummary\n        results {\n          details {\n            jobId\n            serverId\n            status\n            error\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query ServerExecutions($serverId: String!, $pageSize: Int!) {\n    executions(filter: { serverId: $serverId }, page: 1, pageSize: $pageSize) {\n      total\n      items {\n        ...ExecutionSummary\n        results {\n          details {\n            jobId\n            serverId\n            status\n            error\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Me {\n    me {\n      email\n      role\n    }\n  }\n"): (typeof documents)["\n  query Me {\n    me {\n      email\n      role\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ServerMetricsHistory($serverId: String!, $range: MetricsRange!) {\n    server(serverId: $serverId) {\n      serverId\n      metricsHistory(range: $range) {\n        at\n        samples\n        cpuPercent {\n          avg\n          max\n        }\n        memoryUsagePercent {\n          avg\n          max\n        }\n        diskUsagePercent {\n          avg\n          max\n        }\n        load1 {\n          avg\n          max\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query ServerMetricsHistory($serverId: String!, $range: MetricsRange!) {\n    server(serverId: $serverId) {\n      serverId\n      metricsHistory(range: $range) {\n        at\n        samples\n        cpuPercent {\n          avg\n          max\n        }\n        memoryUsagePercent {\n          avg\n          max\n        }\n        diskUsagePercent {\n          avg\n          max\n        }\n        load1 {\n          avg\n          max\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment NotificationRuleFields on NotificationRule {\n    id\n    name\n    channel\n    target\n    hasSecret\n    events\n    enabled\n    createdBy\n    createdAt\n    updatedAt\n  }\n"): (typeof documents)["\n  fragment NotificationRuleFields on NotificationRule {\n    id\n    name\n    channel\n    target\n    hasSecret\n    events\n    enabled\n    createdBy\n    createdAt\n    updatedAt\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query NotificationRules {\n    notificationRules {\n      ...NotificationRuleFields\n    }\n  }\n"): (typeof documents)["\n  query NotificationRules {\n    notificationRules {\n      ...NotificationRuleFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment DeliveryFields on Delivery {\n    id\n    ruleId\n    eventSeq\n    event\n    subject\n    channel\n    status\n    attempts\n    lastError\n    nextAttemptAt\n    createdAt\n    deliveredAt\n  }\n"): (typeof documents)["\n  fragment DeliveryFields on Delivery {\n    id\n    ruleId\n    eventSeq\n    event\n    subject\n    channel\n    status\n    attempts\n    lastError\n    nextAttemptAt\n    createdAt\n    deliveredAt\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query NotificationDeliveries($ruleId: String, $page: Int!, $pageSize: Int!) {\n    notificationDeliveries(ruleId: $ruleId, page: $page, pageSize: $pageSize) {\n      total\n      items {\n        ...DeliveryFields\n      }\n    }\n  }\n"): (typeof documents)["\n  query NotificationDeliveries($ruleId: String, $page: Int!, $pageSize: Int!) {\n    notificationDeliveries(ruleId: $ruleId, page: $page, pageSize: $pageSize) {\n      total\n      items {\n        ...DeliveryFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateNotificationRule($input: NotificationRuleInput!) {\n    createNotificationRule(input: $input) {\n      ...NotificationRuleFields\n    }\n  }\n"): (typeof documents)["\n  mutation CreateNotificationRule($input: NotificationRuleInput!) {\n    createNotificationRule(input: $input) {\n      ...NotificationRuleFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateNotificationRule($id: String!, $input: NotificationRuleInput!) {\n    updateNotificationRule(id: $id, input: $input) {\n      ...NotificationRuleFields\n    }\n  }\n"): (typeof documents)["\n  mutation UpdateNotificationRule($id: String!, $input: NotificationRuleInput!) {\n    updateNotificationRule(id: $id, input: $input) {\n      ...NotificationRuleFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteNotificationRule($id: String!) {\n    deleteNotificationRule(id: $id)\n  }\n"): (typeof documents)["\n  mutation DeleteNotificationRule($id: String!) {\n    deleteNotificationRule(id: $id)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation TestNotificationRule($id: String!) {\n    testNotificationRule(id: $id)\n  }\n"): (typeof documents)["\n  mutation TestNotificationRule($id: String!) {\n    testNotificationRule(id: $id)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query OverviewServers {\n    servers(page: 1, pageSize: 500) {\n      total\n      items {\n        ...ServerRow\n        credentials {\n          ...CredentialsFields\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query OverviewServers {\n    servers(page: 1, pageSize: 500) {\n      total\n      items {\n        ...ServerRow\n        credentials {\n          ...CredentialsFields\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query OverviewRunning {\n    executions(filter: { status: RUNNING }, page: 1, pageSize: 50) {\n      total\n      items {\n        ...ExecutionSummary\n      }\n    }\n  }\n"): (typeof documents)["\n  query OverviewRunning {\n    executions(filter: { status: RUNNING }, page: 1, pageSize: 50) {\n      total\n      items {\n        ...ExecutionSummary\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query OverviewOutcomes($from: DateTime!, $page: Int!, $pageSize: Int!) {\n    executions(filter: { from: $from }, page: $page, pageSize: $pageSize) {\n      total\n      items {\n        executionId\n        overall\n        timing {\n          createdAt\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query OverviewOutcomes($from: DateTime!, $page: Int!, $pageSize: Int!) {\n    executions(filter: { from: $from }, page: $page, pageSize: $pageSize) {\n      total\n      items {\n        executionId\n        overall\n        timing {\n          createdAt\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ServerRow on Server {\n    serverId\n    hostname\n    ipAddress\n    environment\n    serverGroup\n    tags\n    status {\n      current\n      lastHeartbeat\n      cpuPercent\n      memoryUsagePercent\n      diskUsagePercent\n    }\n  }\n"): (typeof documents)["\n  fragment ServerRow on Server {\n    serverId\n    hostname\n    ipAddress\n    environment\n    serverGroup\n    tags\n    status {\n      current\n      lastHeartbeat\n      cpuPercent\n      memoryUsagePercent\n      diskUsagePercent\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Servers($filter: ServerFilter, $page: Int!, $pageSize: Int!) {\n    servers(filter: $filter, page: $page, pageSize: $pageSize) {\n      total\n      page\n      pageSize\n      items {\n        ...ServerRow\n      }\n    }\n  }\n"): (typeof documents)["\n  query Servers($filter: ServerFilter, $page: Int!, $pageSize: Int!) {\n    servers(filter: $filter, page: $page, pageSize: $pageSize) {\n      total\n      page\n      pageSize\n      items {\n        ...ServerRow\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ServerDetail($serverId: String!) {\n    server(serverId: $serverId) {\n      ...ServerRow\n      capabilities\n      configuration {\n        agentVersion\n        osInfo\n        maxConcurrentJobs\n        timeoutDefault\n      }\n      status {\n        uptimeSeconds\n        loadAverage\n      }\n      credentials {\n        ...CredentialsFields\n      }\n      metadata {\n        createdAt\n        createdBy\n        updatedAt\n        lastSuccessfulExecution\n      }\n    }\n  }\n"): (typeof documents)["\n  query ServerDetail($serverId: String!) {\n    server(serverId: $serverId) {\n      ...ServerRow\n      capabilities\n      configuration {\n        agentVersion\n        osInfo\n        maxConcurrentJobs\n        timeoutDefault\n      }\n      status {\n        uptimeSeconds\n        loadAverage\n      }\n      credentials {\n        ...CredentialsFields\n      }\n      metadata {\n        createdAt\n        createdBy\n        updatedAt\n        lastSuccessfulExecution\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ServerUpdates {\n    serverUpdates {\n      ...ServerRow\n    }\n  }\n"): (typeof documents)["\n  subscription ServerUpdates {\n    serverUpdates {\n      ...ServerRow\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment TemplateFields on ActionTemplate {\n    id\n    name\n    description\n    category\n    actionType\n    version\n    parameters\n    commandTemplate\n    executionConfig\n    successCriteria\n    applicableServerTags\n    metadata {\n      createdAt\n      createdBy\n      updatedAt\n      usageCount\n    }\n  }\n"): (typeof documents)["\n  fragment TemplateFields on ActionTemplate {\n    id\n    name\n    description\n    category\n    actionType\n    version\n    parameters\n    commandTemplate\n    executionConfig\n    successCriteria\n    applicableServerTags\n    metadata {\n      createdAt\n      createdBy\n      updatedAt\n      usageCount\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ActionTemplates {\n    actionTemplates {\n      ...TemplateFields\n    }\n  }\n"): (typeof documents)["\n  query ActionTemplates {\n    actionTemplates {\n      ...TemplateFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ActionTemplate($id: String!) {\n    actionTemplate(id: $id) {\n      ...TemplateFields\n    }\n  }\n"): (typeof documents)["\n  query ActionTemplate($id: String!) {\n    actionTemplate(id: $id) {\n      ...TemplateFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateActionTemplate($input: JSON!) {\n    createActionTemplate(input: $input) {\n      ...TemplateFields\n    }\n  }\n"): (typeof documents)["\n  mutation CreateActionTemplate($input: JSON!) {\n    createActionTemplate(input: $input) {\n      ...TemplateFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateActionTemplate($id: String!, $input: JSON!) {\n    updateActionTemplate(id: $id, input: $input) {\n      ...TemplateFields\n    }\n  }\n"): (typeof documents)["\n  mutation UpdateActionTemplate($id: String!, $input: JSON!) {\n    updateActionTemplate(id: $id, input: $input) {\n      ...TemplateFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteActionTemplate($id: String!) {\n    deleteActionTemplate(id: $id)\n  }\n"): (typeof documents)["\n  mutation DeleteActionTemplate($id: String!) {\n    deleteActionTemplate(id: $id)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment UserFields on User {\n    email\n    role\n    tenantId\n    disabled\n  }\n"): (typeof documents)["\n  fragment UserFields on User {\n    email\n    role\n    tenantId\n    disabled\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Users {\n    users {\n      ...UserFields\n    }\n  }\n"): (typeof documents)["\n  query Users {\n    users {\n      ...UserFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateUser($email: String!, $password: String!, $role: Role!) {\n    createUser(email: $email, password: $password, role: $role) {\n      ...UserFields\n    }\n  }\n"): (typeof documents)["\n  mutation CreateUser($email: String!, $password: String!, $role: Role!) {\n    createUser(email: $email, password: $password, role: $role) {\n      ...UserFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateUser($email: String!, $role: Role, $disabled: Boolean, $password: String) {\n    updateUser(email: $email, role: $role, disabled: $disabled, password: $password) {\n      ...UserFields\n    }\n  }\n"): (typeof documents)["\n  mutation UpdateUser($email: String!, $role: Role, $disabled: Boolean, $password: String) {\n    updateUser(email: $email, role: $role, disabled: $disabled, password: $password) {\n      ...UserFields\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;