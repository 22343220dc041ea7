"""trailwatch's local AWS emulator: moto's server behind a small WSGI middleware.

Run with the emulator virtualenv (see scripts/setup-emulator):

    <venv>/bin/python tests/support/emulator.py [--port 0] [--host 127.0.0.1]

It serves moto's own server app (``DomainDispatcherApplication(create_backend_app)``, the app
``moto_server`` runs) with werkzeug's threaded server, and prints exactly one line on stdout when
it accepts requests:

    TRAILWATCH_EMULATOR_READY http://127.0.0.1:<port>

stdout carries that line only (anything printed later goes to stderr, which carries no access
log). It exits by itself when its stdin reaches EOF, so a test process that dies never leaves it
behind (pass ``--no-stdin-watch`` to run it by hand in the background), and on SIGTERM/SIGINT.

Quiet by default: an error inside moto (e.g. an operation moto does not implement, such as logs
TestMetricFilter or cloudwatch DescribeAnomalyDetectors) is answered as an HTTP 500 error response
but prints nothing, and werkzeug's error log is silenced, so a passing test run leaves stderr
clean. Set the environment variable ``TRAILWATCH_EMULATOR_VERBOSE=1`` to get the Python
tracebacks and werkzeug's error log on stderr again.

This file owns the middleware, which does these things and nothing else:

a. CBOR adapter for CloudWatch. aws-sdk-cloudwatch (Rust, >= 1.100) speaks Smithy RPC v2 CBOR
   (``POST /service/GraniteServiceVersion20100801/operation/<Op>``), which moto 5.2.5 does not
   route. Such a request is re-sent to moto as awsJson1_0 (``POST /`` with ``X-Amz-Target``),
   keeping the SigV4 ``Authorization`` header moto routes by, and moto's JSON answer is
   re-encoded as CBOR typed from botocore's CloudWatch model (timestamps as CBOR tag 1, doubles
   as floats, unknown members dropped). Errors become the CBOR map
   ``{"__type": "com.amazonaws.cloudwatch#<error shape>", "message": ...}`` with moto's status
   and the ``x-amzn-query-error: <awsQuery code>;Sender`` header, which is what the Rust SDK
   (awsQueryCompatible) matches error codes by, e.g. ``ResourceNotFound;Sender``.
b. CloudWatch Logs answered as AWS does where moto 5.2.5 differs (awsJson1_1,
   ``X-Amz-Target: Logs_20140328.<Op>``), using inner requests to moto with the caller's
   headers (so the same account and region) that are not recorded in the request log:

   - PutMetricFilter with a filter name that already exists on the group REPLACES that filter
     (moto appends a duplicate): the old one is deleted first and put back if moto then
     rejects the new one.
   - PutMetricFilter, and DescribeMetricFilters with a ``logGroupName``, on a log group that
     does not exist answer HTTP 400 ``{"__type": "ResourceNotFoundException", "message":
     "The specified log group does not exist."}`` (moto accepts the put / lists nothing).
   - DeleteLogGroup also deletes the group's metric filters (moto keeps them, and would show
     them again on a re-created group of the same name).

   PutMetricFilter, DeleteMetricFilter, DescribeMetricFilters and DeleteLogGroup run under one
   lock, so a replacement is atomic for every other call among them.
c. Request log. Every request (other than the control endpoints below) is recorded when it
   arrives, in arrival order, as ``{"service": <SigV4 signing name or null>, "operation":
   <operation>, "ms": <server-side milliseconds, null while in flight>, "reached": <bool>,
   "at": <arrival time in seconds on the emulator's monotonic clock (only differences mean
   anything)>}``
   plus, only when they apply, ``"fault": <kind>`` (answered by an injected fault, d., kind
   ``"injected"``, or ``"lost"`` for a fault whose answer is lost, or by chaos, f., kind
   ``"throttle"``, ``"500"`` or ``"503"``), ``"lost_status": <HTTP status of moto's answer,
   which the caller never got>`` (a lost answer, set once moto has answered), ``"stalled":
   true`` (held by a stall, g.; set when it starts waiting) and, for an sts ``AssumeRole``
   (awsQuery, form body or query string), ``"assume": {"role_arn": <RoleArn>, "session_name":
   <RoleSessionName>, "source_identity": <SourceIdentity>, "external_id": <bool>}``
   (``role_arn`` and ``session_name`` null when not sent, ``source_identity`` only when sent,
   ``external_id`` whether an ExternalId was sent: its value is never recorded; set when the
   request arrives, so a faulted AssumeRole has it too). ``reached`` tells whether the request
   was passed on to moto (through the adapters a. and b. where they apply): false for an
   answer by an ``"injected"`` fault or chaos, and false while a stalled request is still
   waiting (it turns true when the request goes on to moto); true for a lost answer. So an
   entry without ``"fault"``, or with ``"fault": "lost"``, reached moto once it has been
   answered. The middleware's own inner requests are not recorded. ``GET
   /_trailwatch/requests`` returns the log as a JSON array, in order; ``POST
   /_trailwatch/requests/reset`` clears it (and nothing else: faults, overrides, chaos, stalls,
   pending SNS subscriptions, l., and the alarm history, n., stay). Credentials are never
   recorded or printed.
d. Injected faults, for states moto cannot produce (a throttled or failing call).
   ``POST /_trailwatch/faults`` with the JSON body
   ``{"operation": "DescribeTrails", "skip": 1, "times": 2, "status": 500, "code":
   "InternalFailure", "message": "injected", "lost": false}`` (only ``operation`` is required;
   defaults: skip 0, times null, status 500, code ``InternalFailure``, message ``injected by
   the trailwatch emulator``, lost false) lets the first ``skip`` requests whose operation (as
   in the request log, any service) is ``operation`` through and answers the next ``times``
   ones (every later one when ``times`` is null; an integer >= 1 otherwise, after which the
   operation's requests pass again), without calling moto, with HTTP ``status`` in the
   request's protocol:
   awsJson ``{"__type": code, "message": message}`` (Content-Type
   ``application/x-amz-json-1.0`` or ``-1.1`` as the request's; CloudWatch's awsJson1_0 also
   with ``x-amzn-query-error: <code>;<Sender|Receiver>``), CBOR through the CBOR adapter's
   error map and ``x-amzn-query-error`` header, Security Hub's restJson in its error shape
   (o.), anything else awsQuery XML ``ErrorResponse`` (``Type`` Receiver for 5xx, Sender
   otherwise). It answers ``200`` with the stored fault
   ``{"operation", "skip", "times", "status", "code", "message", "lost"}``, and ``400
   {"message": ...}`` for a bad body. One fault per operation (registering one again replaces
   it and restarts its count); several operations may have one at once. Faulted requests are
   still in the request log, with ``"fault": "injected"`` and ``"reached": false``. ``POST
   /_trailwatch/faults/reset`` clears every fault (``requests/reset`` does not).

   Lost answers (``"lost": true``), for a write that lands although its caller sees it fail
   (a timeout or 5xx after the service acted): the request the fault answers is passed on to
   moto as usual (adapters, overrides, pending SNS subscriptions and any stall, g., apply),
   so the write lands; moto's answer is then dropped and the caller gets the fault's error,
   in the same shapes as above (typically ``"status": 500`` ``InternalFailure`` or ``503``
   ``ServiceUnavailable``). ``skip`` and ``times`` count as for any fault; a client that
   retries with ``"times": 1`` sees its retry succeed. Logged with ``"fault": "lost"``,
   ``"reached": true`` and ``"lost_status"`` (moto's status: a write moto refused did not
   land). If moto fails with an exception, the caller still gets the fault's error.
e. Answer overrides, for fields moto never reports (e.g. a CloudTrail delivery error).
   ``POST /_trailwatch/override`` with the JSON body ``{"operation": "GetTrailStatus",
   "merge": {"LatestCloudWatchLogsDeliveryError": "AccessDeniedException"}}`` merges ``merge``
   into the top level of every later successful (2xx) awsJson answer (``X-Amz-Target``
   requests, any service) to that operation whose body is a JSON object, as a JSON merge patch
   at the top level (a key set to null is removed), with Content-Length fixed. CBOR and awsQuery
   answers are left alone. It answers ``200`` with ``{"operation", "merge"}``, and ``400
   {"message": ...}`` for a bad body. One override per operation (registering one again
   replaces it). ``POST /_trailwatch/override/reset`` clears every override (``requests/reset``
   does not). A faulted request is answered by its fault, never overridden.
f. Seeded random faults ("chaos"), for retry and partial-failure paths.
   ``POST /_trailwatch/chaos`` with the JSON body ``{"rate": 0.3, "seed": 7, "operations":
   ["*"], "kinds": ["throttle", "500", "503"]}`` (only ``rate``, a number from 0 to 1, is
   required; defaults: seed 0, operations ``["*"]``, kinds all three) switches chaos on, with a
   fresh ``random.Random(seed)`` owned by the middleware (registering again replaces the
   settings and re-seeds). Every later request whose operation (as in the request log) is in
   ``operations`` (``"*"`` matches every operation, other entries are exact names) and that no
   fault (d.) answers takes one draw, in the order the requests are logged (under one lock):
   ``rng.random() < rate`` answers it, without calling moto, with an error of the kind
   ``rng.choice(kinds)`` (a second draw, taken only then); otherwise it goes on. So a given
   order of requests gets the same faults every time, and ``rate`` 1.0 faults every matching
   request. The kinds, in the request's protocol as for d.:

   - ``"throttle"``: HTTP 400; awsJson ``{"__type": "ThrottlingException", "message": "Rate
     exceeded"}``; awsQuery (SNS, STS) XML ``ErrorResponse`` with Code ``Throttling``, Type
     Sender; CloudWatch CBOR ``{"__type": "com.amazonaws.cloudwatch#Throttling", ...}`` with
     ``x-amzn-query-error: Throttling;Sender``; CloudWatch over awsJson1_0 (``X-Amz-Target:
     GraniteServiceVersion20100801.<Op>``, what boto3 sends: it prefers awsJson to CBOR) is
     awsQuery-compatible, so ``{"__type": "Throttling", ...}`` with the same header; Security
     Hub (restJson, o.) ``ThrottlingException`` in its error shape. Those are the codes the
     SDKs' retry classifiers treat as throttling.
   - ``"500"``: HTTP 500 ``InternalFailure`` (awsQuery Type Receiver; CBOR
     ``InternalFailure;Receiver``).
   - ``"503"``: HTTP 503 ``ServiceUnavailable`` (awsQuery Type Receiver; CBOR
     ``ServiceUnavailable;Receiver``).

   It answers ``200`` with the stored settings ``{"rate", "seed", "operations", "kinds"}``, and
   ``400 {"message": ...}`` for a bad body. Chaos answers are in the request log with ``"fault":
   <kind>`` and ``"reached": false``. ``POST /_trailwatch/chaos/reset`` switches chaos off
   (``requests/reset`` does not).
g. Stalls, for a request that is in flight and not yet processed (e.g. to kill the client then).
   ``POST /_trailwatch/stall`` with the JSON body ``{"operation": "PutMetricFilter", "skip": 0,
   "seconds": 10}`` (``operation`` and ``seconds``, a number > 0 and <= 3600, are required;
   skip defaults to 0) holds the (skip+1)-th and every later request whose operation (exact
   name) is ``operation`` for ``seconds`` BEFORE it is passed to moto; it is marked ``"stalled":
   true`` (``"reached": false``) in the request log when it starts waiting, and goes on to moto
   normally when the time is up. Only requests that would reach moto count and wait: one
   answered by a fault or chaos is answered at once (a lost answer's request, d., reaches
   moto, so it counts and waits). A held request blocks no other request
   (the server is threaded). It answers ``200`` with ``{"operation", "skip", "seconds"}``, and
   ``400 {"message": ...}`` for a bad body. One stall per operation (registering one again
   replaces it and restarts its count; requests already waiting keep waiting). ``POST
   /_trailwatch/stall/reset`` clears every stall and wakes every waiting request at once,
   which then goes on to moto normally (``requests/reset`` does not).
h. An exception escaping moto is answered as HTTP 500 ``InternalFailure`` in the request's
   protocol (CBOR map, awsJson ``{"__type", "message"}``, Security Hub's restJson error shape,
   o., or awsQuery XML ``ErrorResponse``).
i. Everything else passes through to moto unchanged, but for j., k., l., m., n., o. and p.
k. Organizations listings as AWS answers them (moto lists nothing instead): ``ListAccounts``,
   ``ListAccountsForParent``, ``ListRoots`` and ``ListOrganizationalUnitsForParent`` from an
   account in no organization answer HTTP 400 ``AWSOrganizationsNotInUseException`` ("Your
   account is not a member of an organization."), and from a member account (not the
   management account) HTTP 400 ``AccessDeniedException``.
j. Organization trails, as AWS shows them to member accounts (moto shows a trail only to the
   account that created it). moto's CloudTrail backend is patched in this process so that an
   organization trail (``IsOrganizationTrail``) of account O is also listed by
   ``DescribeTrails`` (with shadow trails, the default) in every member account of O's
   organization, and ``GetTrailStatus`` and ``GetEventSelectors`` in a member account answer
   for it by its ARN, as they do on AWS; the member cannot change it. The members are the
   accounts of O's moto organization (``organizations:CreateOrganization`` and
   ``CreateAccount`` by O); when O has no organization in moto, every account is taken as a
   member (a simplification: on AWS an organization trail needs an organization).
l. SNS subscriptions that wait for the receiver's confirmation, as on AWS (moto confirms every
   subscription at once). A new ``email``, ``email-json``, ``http`` or ``https`` subscription
   (awsQuery ``Subscribe``, any account) is pending until confirmed through the control endpoint
   below; every other protocol (``sqs``, ``lambda``, ``sms``, ...) is confirmed at once, as
   before. moto still stores a pending subscription (under its real ARN); its answers are
   rewritten, by subscription ARN, so for every account:

   - ``Subscribe`` answers ``<SubscriptionArn>pending confirmation</SubscriptionArn>``, unless
     the request has ``ReturnSubscriptionArn=true`` (then the real ARN, though still pending).
     Subscribing the same topic, protocol and endpoint again while pending answers ``pending
     confirmation`` again and creates nothing (moto keeps one subscription); once confirmed,
     the ARN.
   - ``ListSubscriptionsByTopic`` and ``ListSubscriptions`` list it with ``SubscriptionArn``
     ``PendingConfirmation``.
   - ``GetSubscriptionAttributes`` on its real ARN: ``PendingConfirmation`` ``true`` and
     ``ConfirmationWasAuthenticated`` ``false``.
   - ``GetTopicAttributes``: ``SubscriptionsPending`` counts the topic's pending subscriptions
     and ``SubscriptionsConfirmed`` the others (moto answers 0 for both), over every account's
     subscriptions to the topic. ``SubscriptionsDeleted`` stays moto's.
   - ``Publish`` (and ``PublishBatch``) skip it: moto's in-process delivery is patched (moto
     POSTs to http/https endpoints; it sends no e-mail anyway).

   Faults, chaos, stalls and the request log apply to these calls as to any other (the
   rewriting happens where the call would reach moto). ``ConfirmSubscription`` is still moto's
   (no tokens exist: nothing is ever mailed or POSTed as a confirmation request).

   ``POST /_trailwatch/sns/confirm`` with an optional JSON body ``{"endpoint":
   "secops@example.com", "topic_arn": "arn:aws:sns:..."}`` (both members optional, each a
   non-empty string, matched exactly; several are ANDed; an empty body or ``{}`` matches every
   pending subscription) confirms the matching pending subscriptions of every account and
   answers ``200 {"confirmed": [<subscription ARN>, ...]}`` (in subscription order; ``[]`` when
   none matches); a body that is not a JSON object or has other members is ``400 {"message":
   ...}``. ``GET /_trailwatch/sns/pending`` answers ``200 [{"subscription_arn", "topic_arn",
   "protocol", "endpoint"}, ...]``, every pending subscription moto still holds, in subscription
   order (an unsubscribed one, or one whose topic was deleted, is forgotten). The state is
   thread-safe and kept for the emulator's life: ``requests/reset`` does not touch it.

   The environment variable ``TRAILWATCH_EMULATOR_CONFIRM_AT_ONCE=1`` switches all of l. off
   (moto's own answers: every subscription confirmed at once, topic counts 0; for the demo
   only): ``sns/pending`` then answers ``[]`` and ``sns/confirm`` ``{"confirmed": []}``.

m. Form-body signatures under IAM enforcement. moto checks the SigV4 signature of an awsQuery
   form body (SNS, STS) not over the bytes received but over its own re-encoding of the
   parsed form (botocore's ``urlencode``: ``+`` for a space). The Rust SDK encodes a space as
   ``%20`` (aws-smithy-query), as AWS accepts, so any of its awsQuery calls with a space in a
   value (e.g. ``sns:Publish`` with a ``Subject``) got ``SignatureDoesNotMatch`` from moto,
   while boto3 (which sends ``+``) passed. With IAM enforcement on, such a request (a
   ``Content-Type: application/x-www-form-urlencoded`` body whose re-encoding differs from
   the bytes received, signed with a key moto knows) is checked first against the caller's
   signature over the exact bytes received, as AWS checks it (an ``X-Amz-Content-SHA256``
   header must then be the body's hash); only if that signature is right is it replaced, in
   the ``Authorization`` header moto reads, by the one moto computes from its re-encoding; if
   it is wrong, by one that never matches, so moto answers ``SignatureDoesNotMatch`` as AWS
   would (moto alone accepted a signature over its re-encoding instead of the bytes sent).
   An unknown key or session token and a body moto re-encodes to the same bytes are left as
   they are, and moto's own checks (key, token, signature, permissions) still decide. Without
   enforcement nothing changes.
n. CloudWatch alarm actions and alarm history (moto runs no alarm action and has no history:
   ``DescribeAlarmHistory`` is NotImplemented in moto 5.2.5). For every protocol CloudWatch is
   called in (CBOR through a., awsJson1_0 ``X-Amz-Target: GraniteServiceVersion20100801.<Op>``
   and awsQuery form bodies signed for ``monitoring``):

   - ``SetAlarmState`` goes to moto first. When moto accepts it (2xx) and the alarm's state
     CHANGED (from the state moto held just before; moto starts an alarm in ``OK``, where AWS
     starts it in ``INSUFFICIENT_DATA``), the emulator records a ``StateUpdate`` history item
     (``HistorySummary`` ``Alarm updated from OK to ALARM``, ``Timestamp`` moto's new
     ``StateUpdatedTimestamp``, ``HistoryData`` ``{"version": "1.0", "oldState":
     {"stateValue", "stateReason"[, "stateReasonData"]}, "newState": {...}}``) and then, if the
     alarm's ``ActionsEnabled`` is true, runs the actions of the new state in order
     (``AlarmActions`` for ``ALARM``, ``OKActions`` for ``OK``, ``InsufficientDataActions`` for
     ``INSUFFICIENT_DATA``), each recorded as one ``Action`` item, newer than the
     ``StateUpdate`` one, before the caller gets its answer:

     * an SNS topic ARN (``arn:<partition>:sns:<region>:<account>:<name>``): the CloudWatch
       alarm notification is published to that topic (moto's SNS backend of the topic's
       account and region, so every confirmed subscriber, e.g. an SQS queue, gets it as from any
       Publish; pending subscribers, l., do not). Subject ``<new state>: "<name>" in <region
       description>`` (e.g. ``ALARM: "IAMPolicyChanges" in US East (N. Virginia)``, botocore's
       region name; cut to 100 characters), message structure json ``{"default":
       <notification>}``, the notification being the JSON object AWS sends: ``AlarmName``,
       ``AlarmDescription``, ``AWSAccountId``, ``AlarmConfigurationUpdatedTimestamp``,
       ``NewStateValue``, ``NewStateReason``, ``StateChangeTime``
       (``2026-01-01T00:00:00.000+0000``), ``Region``, ``AlarmArn``, ``OldStateValue``,
       ``OKActions``, ``AlarmActions``, ``InsufficientDataActions`` and
       ``Trigger`` (``MetricName``, ``Namespace``, ``StatisticType``, ``Statistic`` as
       ``SUM``/``AVERAGE``/... or ``ExtendedStatistic``, ``Unit``, ``Dimensions`` as ``[{"value",
       "name"}]``, ``Period``, ``EvaluationPeriods``, ``DatapointsToAlarm``,
       ``ComparisonOperator``, ``Threshold``, ``TreatMissingData``,
       ``EvaluateLowSampleCountPercentile``; ``Metrics`` instead of the metric's members for a
       metric-math alarm; a composite alarm's has ``AlarmRule`` and no ``Trigger``). The item:
       ``Successfully executed action <arn>`` with ``HistoryData`` ``{"actionState":
       "Succeeded", "stateUpdateTimestamp": <ms>, "notificationResource": <arn>,
       "publishedMessage": <the published message>}`` (``publishedMessage`` left out if the
       whole would exceed 4095 characters); when the topic does not exist or moto's publish
       fails (e.g. a FIFO topic), ``Failed to execute action <arn>. Received error:
       "<message>"`` (cut to 255 characters) with ``{"actionState": "Failed",
       "stateUpdateTimestamp", "notificationResource", "error": <message>}``; a topic that does
       not exist gives ``Topic does not exist``.
     * any other action (Lambda, Systems Manager, EC2 ``arn:aws:automate:...``, Auto Scaling,
       ...): NOT run, nothing else happens; only an item ``Successfully executed action <arn>``
       with ``{"actionState": "Succeeded", "stateUpdateTimestamp": <ms>}`` is recorded.

     Not reproduced: topic policies and KMS key policies are not evaluated (on AWS a topic
     whose policy or encryption key does not let ``cloudwatch.amazonaws.com`` publish gives a
     Failed action), nor is the publish subject to the caller's own permissions (CloudWatch
     publishes as itself, as on AWS). Setting the state an alarm already has records and runs
     nothing (AWS invokes actions only when the state differs); moto never evaluates an alarm,
     so one set to ``ALARM`` stays there until ``SetAlarmState`` (or a re-put, which moto
     resets to ``OK``) changes it. ``PutMetricAlarm`` and ``DeleteAlarms`` record no
     ``ConfigurationUpdate`` items. Concurrent ``SetAlarmState`` calls are serialised with the
     state read before and after them, so each change is recorded once.
   - ``DescribeAlarmHistory`` is answered from the emulator's store, per account (moto's: the
     ``MOTO_ACCOUNT_ID`` environment variable, an ``x-moto-account-id`` header or the access
     key's account) and region (the SigV4 credential scope's): ``AlarmHistoryItems``
     ``[{"AlarmName", "AlarmType" (``MetricAlarm``; ``CompositeAlarm`` for an alarm with a
     rule, which moto 5.2.5 cannot create), "Timestamp", "HistoryItemType", "HistorySummary",
     "HistoryData"}]``, newest first (``ScanBy`` ``TimestampDescending``, the default) or
     oldest first (``TimestampAscending``); filtered by ``AlarmName`` (exact), ``HistoryItemType``,
     ``AlarmTypes`` (default ``["MetricAlarm"]``, as on AWS), ``StartDate`` and ``EndDate``
     (both inclusive); ``MaxRecords`` 1 to 100 (default 100) with an opaque ``NextToken`` (the
     position after the page's last item, so items added meanwhile never repeat one). History
     outlives the alarm (``DeleteAlarms`` keeps it, as on AWS). Timestamps are epoch seconds
     with milliseconds in awsJson, CBOR tag 1 through a., ISO 8601 in awsQuery XML. A bad
     ``NextToken`` is HTTP 400 ``InvalidNextToken``; ``MaxRecords`` out of range, an unknown
     ``HistoryItemType``, ``ScanBy`` or ``AlarmTypes`` member or a date that is not one is HTTP
     400 ``ValidationError``. With IAM enforcement on, the call goes to moto first so moto
     checks the caller's ``DescribeAlarmHistory`` permission; a denial (any 4xx) is moto's
     answer.

   Faults, chaos, stalls, lost answers (a lost ``SetAlarmState`` lands and runs its actions) and
   the request log apply as to any call; the emulator's own SNS publishes are not requests and
   are not logged. The store is thread-safe and kept for the emulator's life:
   ``requests/reset`` does not touch it; ``POST /_trailwatch/alarm-history/reset`` clears it
   (every account and region) and answers ``200 {}``.

o. Security Hub (restJson1: ``<METHOD> <path>`` with a JSON body, signed for ``securityhub``)
   as AWS answers it, for the calls trailwatch makes. Account and region are moto's for the
   request, as in n. (``MOTO_ACCOUNT_ID``, ``x-moto-account-id`` or the access key's account;
   the SigV4 credential scope's region).

   - Logged (c.) under the operation botocore's model routes the method and path to
     (``POST /findings/import`` is ``BatchImportFindings``, ``PATCH /findings/batchupdate``
     ``BatchUpdateFindings``, ``POST /findings`` ``GetFindings``, ``POST /accounts``
     ``EnableSecurityHub``), so faults, chaos and stalls name them so; a path the model does
     not know stays ``<METHOD> <path>``.
   - Errors in the shape moto gives Security Hub's own (e.g. DescribeHub's): the status,
     ``X-Amzn-ErrorType: <code>``, ``Content-Type: application/json`` and the body
     ``{"__type": <code>, "Message": <message>, "Code": <code>}``, from which botocore and the
     Rust SDK take the code. The emulator's own answers use it, and so do faults (d.), chaos
     (f., throttle ``ThrottlingException``), h. and, under IAM enforcement, moto's denials
     (moto writes those in awsQuery XML; ``AccessDenied`` becomes ``AccessDeniedException``,
     HTTP 403, as on AWS).
   - ``BatchImportFindings`` and ``BatchUpdateFindings`` (p.) in an account and region where
     Security Hub is not enabled (moto's hub flag: ``EnableSecurityHub`` sets it,
     ``DisableSecurityHub`` clears it) answer HTTP 401 ``InvalidAccessException`` ``Account
     <account> is not subscribed to AWS Security Hub``, as AWS does; moto checks that only in
     DescribeHub and DisableSecurityHub, and imported into a hub never enabled.
   - ``BatchImportFindings`` is answered by the emulator against moto's backend (not through
     moto's route). ``Findings`` must be a list of 1 to 100 finding objects, else HTTP 400
     ``InvalidInputException`` (moto took any number and failed with 500 on a body it could
     not read). AWS takes a finding of an account's default product
     (``arn:<partition>:securityhub:<region>:<account>:product/<account>/default``) only from
     that account, for that account: one whose ProductArn (either account in it) or
     ``AwsAccountId`` is not the caller's account is not stored but listed in
     ``FailedFindings`` as ``{"Id", "ErrorCode": "AccessDeniedException", "ErrorMessage"}``
     and counted in ``FailedCount`` (moto stored it in the caller's account). Every other
     finding goes to moto's own import as before, one at a time in the request's order (a
     finding with an Id already held updates it in place; one without Resources fails with
     ``InvalidInput``), and the answer is moto's ``{"FailedCount", "FailedFindings",
     "SuccessCount"}`` with the refused findings in their place among moto's failures.

   Under IAM enforcement moto's own authentication and authorization of the caller's action
   (``securityhub:BatchImportFindings`` / ``securityhub:BatchUpdateFindings``, named from the
   path as moto names it) come first, and moto's refusal is the answer (in the shape above);
   the request counts as one of moto's free requests as it would in moto. Not reproduced:
   ``GetFindings`` in an account without Security Hub is still moto's (an empty list; AWS
   refuses it too), and a ProductArn's region is not checked against the request's. Faults,
   chaos, stalls, lost answers (a lost import or update lands) and the request log apply as to
   any call; the changes made here to moto's findings run under one lock.
p. ``BatchUpdateFindings`` (``PATCH /findings/batchupdate``, JSON body), which moto 5.2.5 does
   not implement (no route: HTTP 404), answered by the emulator against moto's Security Hub
   backend of the caller's account and region (its findings, by ``Id``; AWS's checks of the
   caller, o., first):

   - Checked as AWS checks it, else HTTP 400 ``InvalidInputException`` (shape of o.) naming
     the member: ``FindingIdentifiers`` is required, 1 to 100 ``{"Id", "ProductArn"}``
     objects; ``Note`` needs both ``Text`` (at most 512 characters) and ``UpdatedBy``, each
     with a character that is not white space; ``Workflow.Status`` one of ``NEW``,
     ``NOTIFIED``, ``RESOLVED``, ``SUPPRESSED``; ``Severity.Label`` one of ``INFORMATIONAL``,
     ``LOW``, ``MEDIUM``, ``HIGH``, ``CRITICAL``, ``Severity.Normalized``, ``Confidence`` and
     ``Criticality`` integers 0 to 100; ``VerificationState`` one of ``UNKNOWN``,
     ``TRUE_POSITIVE``, ``FALSE_POSITIVE``, ``BENIGN_POSITIVE``; ``UserDefinedFields`` a map
     of strings, ``Types`` a list of strings, ``RelatedFindings`` a list of ``{"ProductArn",
     "Id"}``. Then Security Hub must be enabled there (o.: 401 ``InvalidAccessException``).
   - Each identifier, in order, whose finding moto holds (same ``Id`` and ``ProductArn``) is
     updated in place and listed in ``ProcessedFindings`` as ``{"Id", "ProductArn"}``:
     ``Workflow`` becomes ``{"Status": <status>}`` with the deprecated ``WorkflowState`` kept
     in step as AWS keeps it (``NEW`` -> ``NEW``, ``NOTIFIED`` -> ``ASSIGNED``, ``RESOLVED`` ->
     ``RESOLVED``, ``SUPPRESSED`` -> ``DEFERRED``); ``Note`` becomes ``{"Text", "UpdatedBy",
     "UpdatedAt": <now>}``; ``Severity``'s members given replace the finding's (a ``Label``
     alone brings its ``Normalized`` along, 0/1/40/70/90, and a ``Normalized`` alone its
     ``Label``); ``VerificationState``, ``Confidence``, ``Criticality``, ``Types`` and
     ``RelatedFindings`` replace the finding's; ``UserDefinedFields`` are merged into its own;
     and the finding's ``UpdatedAt`` becomes now (ISO 8601 UTC with milliseconds and ``Z``).
     Every other identifier is listed in ``UnprocessedFindings`` as ``{"FindingIdentifier":
     {"Id", "ProductArn"}, "ErrorCode": "FindingNotFound", "ErrorMessage": "Finding not
     found"}``. The answer is HTTP 200 ``{"ProcessedFindings": [...], "UnprocessedFindings":
     [...]}``.

   Not reproduced: AWS's automatic reset of ``Workflow.Status`` to ``NEW`` when a later import
   changes a finding's compliance status or record state, and the history AWS keeps of each
   update (GetFindingHistory).

Order for one request: it is logged, then a fault (d.), else chaos (f.), may answer it; else
(or for a lost answer) a stall (g.) may hold it; then it goes to the adapters (a., b., k., l.,
m., n., o., p.) or moto, with any override (e.), and a lost answer is then replaced by the
fault's error.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import faulthandler
import hashlib
import http
import io
import json
import logging
import os
import random
import re
import signal
import sys
import threading
import time
import traceback
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from typing import Any, Callable, Iterable

import cbor2

READY_PREFIX = "TRAILWATCH_EMULATOR_READY"
CONTROL_PREFIX = "/_trailwatch/"
# TRAILWATCH_EMULATOR_VERBOSE=1: tracebacks and werkzeug's error log on stderr (quiet otherwise).
VERBOSE = os.environ.get("TRAILWATCH_EMULATOR_VERBOSE") == "1"

# Smithy RPC v2 CBOR service ids the adapter translates -> (botocore service name, error namespace).
CBOR_SERVICES = {"GraniteServiceVersion20100801": ("cloudwatch", "com.amazonaws.cloudwatch")}
CBOR_PATH = re.compile(r"^/service/(?P<service>[^/]+)/operation/(?P<operation>[^/]+)$")
# SigV4: "AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request, ..."
CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,\s]*/[^/,\s]*/([^/,\s]*)/([^/,\s]*)/aws4_request")
# CloudWatch Logs (awsJson1_1): the X-Amz-Target prefix and the content type.
LOGS_TARGET = "Logs_20140328"
AWS_JSON_1_1 = "application/x-amz-json-1.1"
LOG_GROUP_MISSING = "The specified log group does not exist."
INTERNAL_ERROR = "500 Internal Server Error"
FAULT_MESSAGE = "injected by the trailwatch emulator"
# Chaos kinds -> (HTTP status, code by protocol, message). Protocols: "json" (awsJson), "query"
# (awsQuery XML), "cbor" (Smithy RPC v2 CBOR through CborAdapter.error, whose
# x-amzn-query-error header carries the code: no CloudWatch error shape has these names).
CHAOS_KINDS: dict[str, tuple[int, dict[str, str], str]] = {
    "throttle": (
        400,
        {"json": "ThrottlingException", "query": "Throttling", "cbor": "Throttling"},
        "Rate exceeded",
    ),
    "500": (
        500,
        {"json": "InternalFailure", "query": "InternalFailure", "cbor": "InternalFailure"},
        "injected by the trailwatch emulator (chaos)",
    ),
    "503": (
        503,
        {"json": "ServiceUnavailable", "query": "ServiceUnavailable",
         "cbor": "ServiceUnavailable"},
        "Service unavailable (injected by the trailwatch emulator, chaos)",
    ),
}
MAX_STALL_SECONDS = 3600

StartResponse = Callable[..., Any]


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def signing_service(environ: dict[str, Any]) -> str | None:
    """The SigV4 signing name from the Authorization credential scope (never the key itself)."""
    match = CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    return match.group(2) if match else None


def read_body(environ: dict[str, Any]) -> bytes:
    """Read the whole request body and put an equivalent, unread stream back into environ."""
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > 0:
        body = stream.read(length)
    elif environ.get("wsgi.input_terminated"):
        body = stream.read()  # chunked transfer: the server de-chunks and marks the end
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    environ.pop("wsgi.input_terminated", None)
    return body


def form_action(body: bytes) -> str | None:
    try:
        values = urllib.parse.parse_qs(body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        return None
    actions = values.get("Action")
    return actions[0] if actions else None


def json_response(start_response: StartResponse, status: str, payload: Any) -> list[bytes]:
    data = json.dumps(payload).encode("utf-8")
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    )
    return [data]


def call_app(app: Callable, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    """Run a WSGI app to completion and return (status line, headers, body)."""
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured["status"], captured["headers"] = status, headers
        return lambda chunk: captured.setdefault("written", []).append(chunk)

    result = app(environ, start_response)
    try:
        chunks = list(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    body = b"".join(captured.get("written", []) + chunks)
    return captured["status"], captured["headers"], body


def status_code(status: str) -> int:
    """`"400 Bad Request"` -> 400."""
    return int(status.split()[0])


def status_line(code: int) -> str:
    """400 -> `"400 Bad Request"` (an unnamed code gets a generic reason phrase)."""
    try:
        return f"{code} {http.HTTPStatus(code).phrase}"
    except ValueError:
        return f"{code} {'Server Error' if code >= 500 else 'Client Error'}"


def json_environ(
    environ: dict[str, Any], target: str, content_type: str, payload: bytes
) -> dict[str, Any]:
    """A copy of `environ` as an awsJson ``POST /`` carrying `payload` for `target`.

    The copy keeps every other header, above all the SigV4 ``Authorization`` moto takes the
    account, region and service from, so the request lands where the caller's would.
    """
    inner = dict(environ)
    for key in (
        "HTTP_SMITHY_PROTOCOL",
        "HTTP_CONTENT_TYPE",
        "HTTP_CONTENT_LENGTH",
        "HTTP_TRANSFER_ENCODING",
        "wsgi.input_terminated",
        "werkzeug.request",  # werkzeug caches the outer request object here
    ):
        inner.pop(key, None)
    inner.update(
        {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/",
            "RAW_URI": "/",
            "REQUEST_URI": "/",
            "QUERY_STRING": "",
            "CONTENT_TYPE": content_type,
            "CONTENT_LENGTH": str(len(payload)),
            "HTTP_X_AMZ_TARGET": target,
            "HTTP_ACCEPT": "application/json",
            "wsgi.input": io.BytesIO(payload),
        }
    )
    return inner


# --------------------------------------------------------------------------------------------
# IAM enforcement (moto started with INITIAL_NO_AUTH_ACTION_COUNT)
# --------------------------------------------------------------------------------------------

IAM_ENFORCED = "INITIAL_NO_AUTH_ACTION_COUNT" in os.environ
# With IAM enforcement on, one request at a time (TrailwatchMiddleware.__call__): the switch
# below turns moto's authentication off for the whole process, so a caller's request handled
# in that instant would go unchecked. trailwatch reads and writes fleet targets concurrently.
_INTERNAL = threading.RLock()


class emulator_internal:
    """The emulator's own inner requests (the Logs fixes) are not the caller's: with IAM
    enforcement on they run with moto's authentication off. Requests are handled one at a time
    then (the lock is re-entered here, in the request's own thread), so no other caller's
    request goes unchecked meanwhile."""

    def __enter__(self) -> None:
        if IAM_ENFORCED:
            from moto.core.authorization import disable_iam_authentication

            _INTERNAL.acquire()
            self._ctx = disable_iam_authentication()
            self._ctx.__enter__()

    def __exit__(self, *exc: Any) -> None:
        if IAM_ENFORCED:
            self._ctx.__exit__(*exc)
            _INTERNAL.release()


def resign(inner: dict[str, Any], payload: bytes) -> None:
    """With IAM enforcement on, moto checks signatures: a CBOR call re-sent as awsJson is signed
    again, for the same caller (the secret of its access key is looked up in moto's IAM), so
    moto checks the caller's own permissions. Without enforcement nothing changes."""
    if not IAM_ENFORCED:
        return
    match = re.search(
        r"Credential=([^/,\s]+)/[^/,\s]*/([^/,\s]*)/([^/,\s]*)/aws4_request",
        inner.get("HTTP_AUTHORIZATION", ""),
    )
    if not match:
        return
    key, region, service = match.groups()
    from moto.iam.models import get_account_id_from, iam_backends
    from moto.utilities.utils import get_partition

    account = get_account_id_from(key)
    access = iam_backends[account][get_partition(region)].access_keys.get(key)
    if access is None:
        return  # unknown key: moto answers InvalidClientTokenId itself
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    token = inner.get("HTTP_X_AMZ_SECURITY_TOKEN")
    host = inner.get("HTTP_HOST", "localhost")
    request = AWSRequest(
        method="POST",
        url=f"http://{host}/",
        data=payload,
        headers={
            "Host": host,
            "Content-Type": inner["CONTENT_TYPE"],
            "X-Amz-Target": inner["HTTP_X_AMZ_TARGET"],
        },
    )
    SigV4Auth(Credentials(key, access.secret_access_key, token), service, region).add_auth(request)
    inner["HTTP_AUTHORIZATION"] = request.headers["Authorization"]
    inner["HTTP_X_AMZ_DATE"] = request.headers["X-Amz-Date"]
    for name in list(inner):
        if name in ("HTTP_X_AMZ_CONTENT_SHA256", "HTTP_AMZ_SDK_INVOCATION_ID", "HTTP_AMZ_SDK_REQUEST"):
            inner.pop(name, None)


SIGV4_HEADER = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/,\s]+)/[^/,\s]*/(?P<region>[^/,\s]*)/"
    r"(?P<service>[^/,\s]*)/aws4_request,\s*SignedHeaders=(?P<headers>[^,\s]+),\s*"
    r"Signature=(?P<signature>[0-9a-fA-F]+)\s*$"
)


def moto_form(body: bytes) -> dict[str, list[str]] | None:
    """A form body as moto keeps it (the first value of each key, in order), or None."""
    try:
        pairs = urllib.parse.parse_qsl(
            body.decode("utf-8"), keep_blank_values=True, errors="strict"
        )
    except (UnicodeDecodeError, ValueError):
        return None
    form: dict[str, list[str]] = {}
    for key, value in pairs:
        form.setdefault(key, [value])
    return form


def form_signature(
    environ: dict[str, Any], credentials: Any, match: re.Match, data: bytes | dict
) -> str:
    """The SigV4 signature of this request with `data` as its body, computed as moto computes
    it (botocore over the signed headers only); raw bytes are hashed as they are, a dict is
    hashed as botocore urlencodes it (``+`` for a space)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    headers: dict[str, str] = {}
    for name in match.group("headers").split(";"):
        key = name.upper().replace("-", "_")
        key = key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"
        if key in environ:
            headers[name] = environ[key]
    raw = environ.get("RAW_URI") or environ.get("PATH_INFO") or "/"
    parsed = urllib.parse.urlparse(raw)
    path = parsed.path if parsed.scheme else raw.split("?", 1)[0]
    query = environ.get("QUERY_STRING", "")
    request = AWSRequest(
        method=environ.get("REQUEST_METHOD", "POST"),
        url=(path or "/") + (f"?{query}" if query else ""),
        data=data,
        headers=headers,
    )
    request.context["timestamp"] = headers.get("x-amz-date", "")
    auth = SigV4Auth(credentials, match.group("service"), match.group("region"))
    canonical = auth.canonical_request(request)
    return auth.signature(auth.string_to_sign(request, canonical), request)


def resign_form(environ: dict[str, Any]) -> None:
    """m. of the module docstring: with IAM enforcement on, an awsQuery form body that moto
    would re-encode differently (e.g. ``%20`` for a space, as the Rust SDK sends it, where
    moto's botocore writes ``+``) is checked against the caller's signature over the exact
    bytes received; if that signature is right, it is replaced by the one moto will compute
    from its re-encoding, so moto's own check passes; if it is wrong, by one that cannot
    match, so moto refuses it. Every body moto re-encodes to the same bytes, an unknown key
    or session token are left alone (moto decides)."""
    if not IAM_ENFORCED:
        return
    if not (environ.get("CONTENT_TYPE") or "").startswith("application/x-www-form-urlencoded"):
        return
    auth = environ.get("HTTP_AUTHORIZATION", "")
    match = SIGV4_HEADER.match(auth)
    if match is None:
        return
    body = read_body(environ)
    form = moto_form(body)
    if form is None or urllib.parse.urlencode(list(form.items()), doseq=True).encode() == body:
        return  # moto hashes the same bytes the caller signed
    from moto.iam.access_control import CreateAccessKeyFailure, create_access_key
    from moto.iam.models import get_account_id_from
    from moto.utilities.utils import get_partition

    headers = {}
    if "HTTP_X_AMZ_SECURITY_TOKEN" in environ:
        headers["X-Amz-Security-Token"] = environ["HTTP_X_AMZ_SECURITY_TOKEN"]
    key, region = match.group("key"), match.group("region")
    try:
        access = create_access_key(
            get_account_id_from(key), get_partition(region), key, headers
        )
    except CreateAccessKeyFailure:
        return  # unknown key or token: moto answers for it itself
    credentials = access.create_credentials()
    declared = environ.get("HTTP_X_AMZ_CONTENT_SHA256")
    if (declared is None or declared == hashlib.sha256(body).hexdigest()) and form_signature(
        environ, credentials, match, body
    ) == match.group("signature").lower():
        signature = form_signature(environ, credentials, match, form)
    else:
        # Wrong over the bytes received (or a declared payload hash that is not theirs):
        # refused, as AWS refuses it (moto alone accepts a signature over its own
        # re-encoding of them).
        signature = "0" * 64
    environ["HTTP_AUTHORIZATION"] = auth[: match.start("signature")] + signature + auth[
        match.end("signature"):
    ]


def aws_json_error(
    start_response: StartResponse,
    status: str,
    code: str,
    message: str,
    content_type: str = AWS_JSON_1_1,
    exc_info: Any = None,
    extra: list[tuple[str, str]] | None = None,
) -> list[bytes]:
    """An awsJson error answer: ``{"__type": <code>, "message": ...}``."""
    data = json.dumps({"__type": code, "message": message}).encode("utf-8")
    headers = list(extra or []) + [
        ("x-amzn-RequestId", str(uuid.uuid4())),
        ("Content-Type", content_type),
        ("Content-Length", str(len(data))),
    ]
    start_response(status, headers, exc_info)
    return [data]


def aws_query_error(
    start_response: StartResponse, status: str, code: str, message: str, exc_info: Any = None
) -> list[bytes]:
    """An awsQuery error answer: ``<ErrorResponse><Error>...`` XML."""
    root = ET.Element("ErrorResponse")
    error = ET.SubElement(root, "Error")
    ET.SubElement(error, "Type").text = "Receiver" if status_code(status) >= 500 else "Sender"
    ET.SubElement(error, "Code").text = code
    ET.SubElement(error, "Message").text = message
    request_id = str(uuid.uuid4())
    ET.SubElement(root, "RequestId").text = request_id
    data = ET.tostring(root, encoding="utf-8")
    headers = [
        ("x-amzn-RequestId", request_id),
        ("Content-Type", "text/xml"),
        ("Content-Length", str(len(data))),
    ]
    start_response(status, headers, exc_info)
    return [data]


def print_traceback() -> None:
    """The current exception's traceback on stderr, with TRAILWATCH_EMULATOR_VERBOSE=1 only."""
    if VERBOSE:
        traceback.print_exc(file=sys.stderr)


# --------------------------------------------------------------------------------------------
# CBOR <-> JSON, typed from the botocore model
# --------------------------------------------------------------------------------------------


def cbor_to_json(value: Any) -> Any:
    """CBOR-decoded request values -> what an awsJson request carries."""
    if isinstance(value, dict):
        return {str(k): cbor_to_json(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [cbor_to_json(v) for v in value if v is not None]
    if isinstance(value, dt.datetime):  # CBOR tag 0/1
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.timestamp()
    if isinstance(value, cbor2.CBORTag) and value.tag == 1:
        return value.value
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    if value is cbor2.undefined:
        return None
    return value


def epoch_seconds(value: Any) -> float | int:
    """A moto timestamp (epoch number, numeric string or ISO 8601 string) -> epoch seconds."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        seconds: float = value.timestamp()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        text = str(value).strip()
        try:
            seconds = float(text)
        except ValueError:
            parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=dt.timezone.utc)
            seconds = parsed.timestamp()
    seconds = round(seconds, 3)  # Smithy: millisecond precision
    return int(seconds) if seconds == int(seconds) else seconds


def typed(shape: Any, value: Any) -> Any:
    """A JSON value from moto -> the Python value cbor2 must encode for `shape`.

    Returns None for values to drop (nulls, members outside the model).
    """
    if value is None:
        return None
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return None
        out = {}
        for name, member in shape.members.items():
            wire = member.serialization.get("name", name)
            raw = value.get(wire, value.get(name))
            converted = typed(member, raw)
            if converted is not None:
                out[name] = converted
        return out
    if kind == "list":
        if not isinstance(value, list):
            value = [value]
        return [c for c in (typed(shape.member, v) for v in value) if c is not None]
    if kind == "map":
        if not isinstance(value, dict):
            return None
        return {
            str(k): c for k, c in ((k, typed(shape.value, v)) for k, v in value.items())
            if c is not None
        }
    if kind == "timestamp":
        return cbor2.CBORTag(1, epoch_seconds(value))
    if kind in ("double", "float"):
        return float(value)
    if kind in ("integer", "long", "short", "byte"):
        return int(float(value)) if isinstance(value, str) else int(value)
    if kind == "boolean":
        if isinstance(value, str):
            return value.strip().lower() == "true"
        return bool(value)
    if kind == "blob":
        if isinstance(value, (bytes, bytearray)):
            return bytes(value)
        return base64.b64decode(value)
    if kind == "string":
        return value if isinstance(value, str) else str(value)
    return value  # document or anything exotic: as is


class CborAdapter:
    """Translate one Smithy RPC v2 CBOR call into awsJson1_0 for moto, and its answer back."""

    def __init__(self, app: Callable) -> None:
        self.app = app
        self._models: dict[str, Any] = {}
        self._lock = threading.Lock()

    def model(self, service: str) -> Any:
        with self._lock:
            if service not in self._models:
                import botocore.session

                self._models[service] = botocore.session.get_session().get_service_model(service)
            return self._models[service]

    def __call__(
        self,
        environ: dict[str, Any],
        start_response: StartResponse,
        service_id: str,
        operation: str,
        body: bytes,
    ) -> list[bytes]:
        service_name, namespace = CBOR_SERVICES[service_id]
        model = self.model(service_name)

        def fail(*args: Any) -> list[bytes]:
            return self.error(start_response, model, namespace, *args)

        if signing_service(environ) is None:
            # moto routes by the SigV4 credential scope (region and service); without one it
            # would send the call to S3 or crash.
            return fail("403 Forbidden", "MissingAuthenticationToken",
                        "emulator: a SigV4 Authorization header with a credential scope "
                        "<key>/<date>/<region>/monitoring/aws4_request is required")
        try:
            op_model = model.operation_model(operation)
        except Exception:
            return fail("400 Bad Request", "UnknownOperationException",
                        f"unknown operation {operation}")
        try:
            request = cbor_to_json(cbor2.loads(body)) if body else {}
        except Exception as exc:  # malformed CBOR
            return fail("400 Bad Request", "SerializationException",
                        f"cannot decode CBOR request: {exc}")
        payload = json.dumps(request if isinstance(request, dict) else {}).encode("utf-8")

        inner = json_environ(
            environ, f"{service_id}.{operation}", "application/x-amz-json-1.0", payload
        )
        resign(inner, payload)
        try:
            status, headers, answer = call_app(self.app, inner)
        except Exception as exc:  # moto lets e.g. NotImplementedError escape Flask
            print_traceback()
            return fail(INTERNAL_ERROR, "InternalFailure",
                        f"emulator (moto): {type(exc).__name__}: {exc}")
        code = status_code(status)
        keep = [
            (k, v) for k, v in headers
            if k.lower() in ("x-amzn-requestid", "x-amz-request-id")
        ]
        if code >= 400:
            err_code, message, fields = parse_moto_error(answer)
            return fail(status, err_code, message, fields, keep)

        try:
            decoded = json.loads(answer) if answer.strip() else {}
        except ValueError:
            decoded = {}
        output = op_model.output_shape
        result = typed(output, decoded) if output is not None else {}
        return self.respond(start_response, status, result or {}, keep)

    @staticmethod
    def respond(
        start_response: StartResponse,
        status: str,
        value: Any,
        extra: list[tuple[str, str]] | None = None,
    ) -> list[bytes]:
        data = cbor2.dumps(value)
        headers = list(extra or []) + [
            ("Content-Type", "application/cbor"),
            ("smithy-protocol", "rpc-v2-cbor"),
            ("Content-Length", str(len(data))),
        ]
        start_response(status, headers)
        return [data]

    def error(
        self,
        start_response: StartResponse,
        model: Any,
        namespace: str,
        status: str,
        code: str,
        message: str | None,
        fields: dict[str, Any] | None = None,
        extra: list[tuple[str, str]] | None = None,
    ) -> list[bytes]:
        """An RPC v2 CBOR error: `__type` names the model's error shape, the
        `x-amzn-query-error` header carries the awsQuery code the Rust SDK matches on."""
        shape = find_error_shape(model, code)
        query_code = code
        if shape is not None:
            query_code = (shape.metadata.get("error") or {}).get("code", shape.name)
        body: dict[str, Any] = {}
        if shape is not None and fields:
            body.update(typed(shape, fields) or {})
        body["__type"] = f"{namespace}#{shape.name if shape is not None else code}"
        if message is not None:
            body["message"] = message
        fault = "Receiver" if status_code(status) >= 500 else "Sender"
        extra = list(extra or []) + [("x-amzn-query-error", f"{query_code};{fault}")]
        return self.respond(start_response, status, body, extra)


def find_error_shape(model: Any, code: str) -> Any:
    """The error shape for a code that is either a shape name or an awsQuery error code."""
    by_code = None
    for shape in model.error_shapes:
        if shape.name == code:
            return shape
        if by_code is None and (shape.metadata.get("error") or {}).get("code") == code:
            by_code = shape
    return by_code


def parse_moto_error(answer: bytes) -> tuple[str, str | None, dict[str, Any]]:
    """moto's error body (awsJson `{"__type", "message"}` or query-style XML) -> code, message."""
    try:
        data = json.loads(answer)
    except ValueError:
        data = None
    if isinstance(data, dict):
        raw = str(data.get("__type") or data.get("code") or data.get("Code") or "InternalFailure")
        code = raw.split("#")[-1].split(":")[0]
        message = data.get("message", data.get("Message"))
        fields = {k: v for k, v in data.items() if k not in ("__type", "message", "Message")}
        return code, message, fields
    try:
        root = ET.fromstring(answer)
        code_el = next((e for e in root.iter() if e.tag.split("}")[-1] == "Code"), None)
        msg_el = next((e for e in root.iter() if e.tag.split("}")[-1] == "Message"), None)
        if code_el is not None and code_el.text:
            return code_el.text.strip(), (msg_el.text if msg_el is not None else None), {}
    except ET.ParseError:
        pass
    text = answer.decode("utf-8", "replace").strip()
    if text.lower().startswith(("<!doctype", "<html")):
        # werkzeug's HTML error page (traceback on stderr with TRAILWATCH_EMULATOR_VERBOSE=1)
        title = re.search(r"<title>(.*?)</title>", text, re.I | re.S)
        text = (
            f"moto: {title.group(1).strip() if title else 'error page'} "
            "(TRAILWATCH_EMULATOR_VERBOSE=1 shows the traceback on the emulator's stderr)"
        )
    return "InternalFailure", text[:500] or None, {}


# --------------------------------------------------------------------------------------------
# CloudWatch Logs answered as AWS does
# --------------------------------------------------------------------------------------------

# The members of a stored metric filter that PutMetricFilter takes back.
FILTER_MEMBERS = ("filterName", "filterPattern", "logGroupName", "metricTransformations")


class LogsAdapter:
    """CloudWatch Logs calls whose moto 5.2.5 answer differs from AWS's (see the module docstring).

    It talks to moto with inner awsJson1_1 requests through the wrapped app (not moto's
    backends), copied from the caller's request so they land in the same account and region.
    They bypass the middleware, so the request log only ever shows the caller's own calls.
    """

    OPERATIONS = frozenset(
        {"PutMetricFilter", "DeleteMetricFilter", "DescribeMetricFilters", "DeleteLogGroup"}
    )

    def __init__(self, app: Callable) -> None:
        self.app = app
        # One lock for every call that reads or writes metric filters: a replacing put
        # (delete + put) is atomic for the others, which never see the filter missing.
        self._lock = threading.Lock()

    def __call__(
        self, environ: dict[str, Any], start_response: StartResponse, operation: str, body: bytes
    ) -> list[bytes]:
        try:
            request = json.loads(body) if body.strip() else {}
        except ValueError:
            request = None
        group = request.get("logGroupName") if isinstance(request, dict) else None
        if not isinstance(group, str) or not group:
            return self.forward(environ, start_response)  # moto reports what is wrong
        base = dict(environ)  # before moto reads the body or caches its request object in it
        with self._lock:
            if operation in ("PutMetricFilter", "DescribeMetricFilters") and not self.group_exists(
                base, group
            ):
                return aws_json_error(
                    start_response, "400 Bad Request", "ResourceNotFoundException",
                    LOG_GROUP_MISSING,
                )
            if operation == "PutMetricFilter":
                return self.put_metric_filter(base, environ, start_response, group, request)
            status, headers, answer = call_app(self.app, environ)
            if operation == "DeleteLogGroup" and status_code(status) < 300:
                for old in self.metric_filters(base, group):
                    self.inner(base, "DeleteMetricFilter", {
                        "logGroupName": group, "filterName": old.get("filterName"),
                    })
            start_response(status, headers)
            return [answer]

    def forward(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        """Pass the call through to moto, under the lock."""
        with self._lock:
            status, headers, answer = call_app(self.app, environ)
        start_response(status, headers)
        return [answer]

    def put_metric_filter(
        self,
        base: dict[str, Any],
        environ: dict[str, Any],
        start_response: StartResponse,
        group: str,
        request: dict[str, Any],
    ) -> list[bytes]:
        """PutMetricFilter replacing a filter of the same name, as AWS does (the lock is held)."""
        name = request.get("filterName")
        same = [
            f for f in self.metric_filters(base, group, name)
            if isinstance(name, str) and f.get("filterName") == name
        ]
        for _ in same:  # one delete per copy: moto's delete may skip adjacent duplicates
            self.inner(base, "DeleteMetricFilter", {"logGroupName": group, "filterName": name})
        status, headers, answer = call_app(self.app, environ)
        if status_code(status) >= 300 and same:
            # moto rejected the new filter: put the old one back, as a failed put on AWS
            # leaves it in place (the newest copy, the one AWS would have kept).
            old = same[-1]
            self.inner(base, "PutMetricFilter", {k: old[k] for k in FILTER_MEMBERS if k in old})
        start_response(status, headers)
        return [answer]

    def inner(
        self, base: dict[str, Any], operation: str, params: dict[str, Any]
    ) -> tuple[int, Any]:
        """One inner Logs request to moto (not logged): (status code, decoded JSON or None)."""
        payload = json.dumps(params).encode("utf-8")
        environ = json_environ(base, f"{LOGS_TARGET}.{operation}", AWS_JSON_1_1, payload)
        with emulator_internal():
            status, _, answer = call_app(self.app, environ)
        try:
            decoded = json.loads(answer) if answer.strip() else {}
        except ValueError:
            decoded = None
        return status_code(status), decoded

    def group_exists(self, base: dict[str, Any], group: str) -> bool:
        """Whether the log group exists: DescribeLogGroups by prefix, exact name, every page."""
        params: dict[str, Any] = {"logGroupNamePrefix": group}
        seen: set[str] = set()
        while True:
            code, answer = self.inner(base, "DescribeLogGroups", params)
            if code >= 300 or not isinstance(answer, dict):
                return True  # cannot tell: let moto answer the call itself
            if any(g.get("logGroupName") == group for g in answer.get("logGroups") or []):
                return True
            token = answer.get("nextToken")
            if not token or token in seen:
                return False
            seen.add(token)
            params["nextToken"] = token

    def metric_filters(
        self, base: dict[str, Any], group: str, prefix: str | None = None
    ) -> list[dict[str, Any]]:
        """The metric filters on a log group, optionally by name prefix ([] if moto objects).

        One call: moto never pages them (and echoes any nextToken it is given).
        """
        params: dict[str, Any] = {"logGroupName": group}
        if isinstance(prefix, str) and prefix:
            params["filterNamePrefix"] = prefix
        code, answer = self.inner(base, "DescribeMetricFilters", params)
        if code >= 300 or not isinstance(answer, dict):
            return []
        return [f for f in answer.get("metricFilters") or [] if isinstance(f, dict)]


# --------------------------------------------------------------------------------------------
# SNS subscriptions pending confirmation (l. of the module docstring)
# --------------------------------------------------------------------------------------------

# TRAILWATCH_EMULATOR_CONFIRM_AT_ONCE=1: moto's instant confirmation of every subscription (for
# the demo only).
CONFIRM_AT_ONCE = os.environ.get("TRAILWATCH_EMULATOR_CONFIRM_AT_ONCE") == "1"
# Protocols whose subscriptions wait, on AWS, until the receiver confirms them.
CONFIRMED_BY_RECEIVER = frozenset({"email", "email-json", "http", "https"})
PENDING_ANSWER = "pending confirmation"  # Subscribe's SubscriptionArn while pending
PENDING_LISTED = "PendingConfirmation"  # the listings' SubscriptionArn while pending
SUBSCRIPTION_ARN_ELEMENT = re.compile(rb"<SubscriptionArn>([^<]*)</SubscriptionArn>")


def query_params(environ: dict[str, Any]) -> dict[str, str]:
    """An awsQuery call's parameters, from the query string and a form body (first values)."""
    body = read_body(environ)
    texts = [environ.get("QUERY_STRING", "")]
    if (environ.get("CONTENT_TYPE") or "").startswith("application/x-www-form-urlencoded"):
        texts.append(body.decode("utf-8", "replace"))
    params: dict[str, str] = {}
    for text in texts:
        for key, values in urllib.parse.parse_qs(text, keep_blank_values=True).items():
            params.setdefault(key, values[0])
    return params


def assume_role_fields(params: dict[str, str]) -> dict[str, Any]:
    """The request log's ``"assume"`` member of an sts AssumeRole call (c.): never the value of
    ExternalId, only whether it was sent."""
    fields: dict[str, Any] = {
        "role_arn": params.get("RoleArn"),
        "session_name": params.get("RoleSessionName"),
    }
    if "SourceIdentity" in params:
        fields["source_identity"] = params["SourceIdentity"]
    fields["external_id"] = "ExternalId" in params
    return fields


def set_attribute_entry(answer: bytes, key: str, value: str) -> bytes:
    """An awsQuery ``<Attributes>`` map's ``<entry>`` for `key` given `value` (if it is there)."""
    pattern = re.compile(
        rb"(<entry><key>" + re.escape(key.encode()) + rb"</key>)(?:<value>[^<]*</value>|<value/>)"
        rb"(</entry>)"
    )
    text = value.encode("utf-8")
    return pattern.sub(lambda m: m.group(1) + b"<value>" + text + b"</value>" + m.group(2), answer)


def moto_subscriptions() -> list[Any]:
    """Every subscription moto holds, in every account and region (moto's Subscription objects)."""
    from moto.sns.models import sns_backends

    found: list[Any] = []
    for regions in list(sns_backends.values()):
        for backend in list(regions.values()):
            found.extend(list(backend.subscriptions.values()))
    return found


class SnsConfirmations:
    """SNS subscriptions that wait for the receiver's confirmation, as on AWS (moto confirms
    every subscription at once). See l. of the module docstring.

    moto still holds every subscription; this keeps the set of pending ones (by subscription
    ARN, so for every account at once) and rewrites moto's XML answers for them.
    """

    OPERATIONS = frozenset({
        "Subscribe", "ListSubscriptions", "ListSubscriptionsByTopic", "GetTopicAttributes",
        "GetSubscriptionAttributes",
    })

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._lock = threading.Lock()  # guards _pending and _seen
        # One Subscribe at a time: moto's check for an existing subscription and our
        # registration of a new one are then one step for every other Subscribe.
        self._subscribe_lock = threading.Lock()
        # subscription ARN -> {"subscription_arn", "topic_arn", "protocol", "endpoint"}, in the
        # order they were subscribed
        self._pending: dict[str, dict[str, str]] = {}
        # every ARN of a subscription that had to be confirmed (pending or confirmed since)
        self._seen: set[str] = set()

    def is_pending(self, arn: str) -> bool:
        with self._lock:
            return arn in self._pending

    def __call__(
        self,
        environ: dict[str, Any],
        start_response: StartResponse,
        operation: str,
        moto: Callable,
    ) -> list[bytes]:
        """One SNS call of OPERATIONS: `moto` (a WSGI app) answers it, the answer is rewritten."""
        params = query_params(environ)
        if operation == "Subscribe":
            with self._subscribe_lock:
                status, headers, answer = call_app(moto, environ)
                if 200 <= status_code(status) < 300:
                    answer = self.subscribed(params, answer)
        else:
            status, headers, answer = call_app(moto, environ)
            if 200 <= status_code(status) < 300:
                answer = self.rewrite(operation, params, answer)
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(answer))))
        start_response(status, headers)
        return [answer]

    def subscribed(self, params: dict[str, str], answer: bytes) -> bytes:
        """A successful Subscribe: a new subscription that needs confirming is pending."""
        match = SUBSCRIPTION_ARN_ELEMENT.search(answer)
        protocol = params.get("Protocol", "")
        if match is None or protocol.lower() not in CONFIRMED_BY_RECEIVER:
            return answer
        arn = match.group(1).decode("utf-8")
        with self._lock:
            if arn not in self._seen:  # moto answers an existing one's ARN again
                self._seen.add(arn)
                self._pending[arn] = {
                    "subscription_arn": arn,
                    "topic_arn": params.get("TopicArn", ""),
                    "protocol": protocol,
                    "endpoint": params.get("Endpoint", ""),
                }
            pending = arn in self._pending
        if not pending or params.get("ReturnSubscriptionArn", "").strip().lower() == "true":
            return answer
        return answer[: match.start(1)] + PENDING_ANSWER.encode() + answer[match.end(1):]

    def rewrite(self, operation: str, params: dict[str, str], answer: bytes) -> bytes:
        """A successful listing or attribute read, with pending subscriptions shown as such."""
        with self._lock:
            pending = set(self._pending)
        if operation in ("ListSubscriptions", "ListSubscriptionsByTopic"):
            def listed(match: re.Match) -> bytes:
                if match.group(1).decode("utf-8") in pending:
                    return f"<SubscriptionArn>{PENDING_LISTED}</SubscriptionArn>".encode()
                return match.group(0)

            return SUBSCRIPTION_ARN_ELEMENT.sub(listed, answer)
        if operation == "GetSubscriptionAttributes":
            if params.get("SubscriptionArn") in pending:
                answer = set_attribute_entry(answer, "PendingConfirmation", "true")
                answer = set_attribute_entry(answer, "ConfirmationWasAuthenticated", "false")
            return answer
        if operation == "GetTopicAttributes":
            topic = params.get("TopicArn")
            arns = [s.arn for s in moto_subscriptions() if s.topic_arn == topic]
            waiting = sum(1 for arn in arns if arn in pending)
            answer = set_attribute_entry(answer, "SubscriptionsPending", str(waiting))
            return set_attribute_entry(answer, "SubscriptionsConfirmed", str(len(arns) - waiting))
        return answer

    def live_pending(self) -> list[dict[str, str]]:
        """The pending subscriptions moto still holds (the caller holds _lock); forgets the rest
        (unsubscribed, their topic deleted, moto reset)."""
        held = {s.arn for s in moto_subscriptions()}
        for arn in [arn for arn in self._pending if arn not in held]:
            del self._pending[arn]
        return [dict(p) for p in self._pending.values()]

    def pending(self) -> list[dict[str, str]]:
        """`GET /_trailwatch/sns/pending`."""
        with self._lock:
            return self.live_pending()

    def confirm(self, filters: dict[str, str]) -> list[str]:
        """`POST /_trailwatch/sns/confirm`: confirm the matching pending subscriptions."""
        with self._lock:
            confirmed = [
                p["subscription_arn"] for p in self.live_pending()
                if all(p[key] == value for key, value in filters.items())
            ]
            for arn in confirmed:
                del self._pending[arn]
        return confirmed


def hold_pending_deliveries(confirmations: SnsConfirmations) -> None:
    """l. of the module docstring: moto's Publish skips a pending subscription (moto POSTs to
    http/https endpoints; it sends no e-mail anyway)."""
    from moto.sns import models as sns

    publish = sns.Subscription.publish

    def publish_if_confirmed(self: Any, *args: Any, **kwargs: Any) -> Any:
        if confirmations.is_pending(self.arn):
            return None
        return publish(self, *args, **kwargs)

    sns.Subscription.publish = publish_if_confirmed


# --------------------------------------------------------------------------------------------
# CloudWatch alarm actions and alarm history (n. of the module docstring)
# --------------------------------------------------------------------------------------------

CLOUDWATCH_TARGET = "GraniteServiceVersion20100801"
ALARM_OPERATIONS = frozenset({"SetAlarmState", "DescribeAlarmHistory"})
CLOUDWATCH_XMLNS = "http://monitoring.amazonaws.com/doc/2010-08-01/"
HISTORY_ITEM_TYPES = (
    "ConfigurationUpdate", "StateUpdate", "Action", "AlarmContributorStateUpdate",
    "AlarmContributorAction",
)
ALARM_TYPES = ("CompositeAlarm", "MetricAlarm", "LogAlarm")
SCAN_BY = ("TimestampDescending", "TimestampAscending")
MAX_HISTORY_RECORDS = 100  # also the default: AWS documents none
MAX_HISTORY_DATA = 4095  # AlarmHistoryItem.HistoryData's length limit
MAX_HISTORY_SUMMARY = 255
MAX_SUBJECT = 100  # SNS Publish Subject limit
# arn:<partition>:sns:<region>:<account>:<topic name>
SNS_TOPIC_ARN = re.compile(r"^arn:[a-z0-9-]+:sns:(?P<region>[^:]+):(?P<account>\d{12}):[^:]+$")
TOPIC_MISSING = "Topic does not exist"
# The action list run on entering each state.
STATE_ACTIONS = {
    "ALARM": "alarm_actions",
    "OK": "ok_actions",
    "INSUFFICIENT_DATA": "insufficient_data_actions",
}


class HistoryError(Exception):
    """A DescribeAlarmHistory request the emulator refuses (HTTP 400 with this code)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def request_account(environ: dict[str, Any]) -> str:
    """The account moto serves this request for (moto's own order: the MOTO_ACCOUNT_ID
    environment variable, an x-moto-account-id header, the access key's account)."""
    if "MOTO_ACCOUNT_ID" in os.environ:
        return os.environ["MOTO_ACCOUNT_ID"]
    if environ.get("HTTP_X_MOTO_ACCOUNT_ID"):
        return environ["HTTP_X_MOTO_ACCOUNT_ID"]
    from moto.iam.models import get_account_id_from

    match = re.search(r"Credential=([^/,\s]+)/", environ.get("HTTP_AUTHORIZATION", ""))
    return get_account_id_from(match.group(1) if match else "AKIAEXAMPLE")


def request_region(environ: dict[str, Any]) -> str:
    match = CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    return match.group(1) if match and match.group(1) else "us-east-1"


_REGION_NAMES: dict[str, str] = {}
_REGION_NAMES_LOCK = threading.Lock()


def region_description(region: str) -> str:
    """`us-east-1` -> `US East (N. Virginia)` (botocore's endpoints.json, read once; the code
    itself for a region it does not name)."""
    with _REGION_NAMES_LOCK:
        if not _REGION_NAMES:
            _REGION_NAMES[""] = ""  # read once, even if reading fails
            try:
                import botocore

                path = os.path.join(os.path.dirname(botocore.__file__), "data", "endpoints.json")
                with open(path, encoding="utf-8") as f:
                    partitions = json.load(f)["partitions"]
                for partition in partitions:
                    for code, info in partition.get("regions", {}).items():
                        _REGION_NAMES[code] = info.get("description") or code
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                print_traceback()
        return _REGION_NAMES.get(region) or region


def as_utc(value: Any) -> dt.datetime:
    """moto's naive-UTC datetime (or an aware one) -> an aware UTC datetime."""
    if not isinstance(value, dt.datetime):
        return dt.datetime.now(dt.timezone.utc)
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value


def epoch_ms(value: Any) -> int:
    """Epoch milliseconds, truncated as moto writes its timestamps (so the StateUpdate item's
    time is DescribeAlarms' StateUpdatedTimestamp)."""
    delta = as_utc(value) - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    return (delta.days * 86400 + delta.seconds) * 1000 + delta.microseconds // 1000


def notification_time(value: Any) -> str:
    """A time as CloudWatch writes it in a notification: ``2026-01-01T00:00:00.000+0000``."""
    moment = as_utc(value).astimezone(dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def iso_time(seconds: float) -> str:
    """Epoch seconds -> ISO 8601 with milliseconds (awsQuery XML)."""
    moment = dt.datetime.fromtimestamp(seconds, dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def reason_data(text: Any) -> Any:
    """A state's reason data as a JSON value, or None when there is none worth showing."""
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if value not in ({}, [], None) else None


def enabled(value: Any) -> bool:
    """moto's ActionsEnabled (a bool, or a string from some protocols)."""
    if isinstance(value, str):
        return value.strip().lower() != "false"
    return value is None or bool(value)


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def alarm_trigger(alarm: Any) -> dict[str, Any]:
    """A metric alarm's ``Trigger`` member of the notification, as CloudWatch writes it."""
    trigger: dict[str, Any] = {}
    queries = list(getattr(alarm, "metric_data_queries", None) or [])
    if not queries:
        trigger["MetricName"] = alarm.metric_name
        trigger["Namespace"] = alarm.namespace
        if getattr(alarm, "extended_statistic", None):
            trigger["StatisticType"] = "ExtendedStatistic"
            trigger["ExtendedStatistic"] = alarm.extended_statistic
        else:
            trigger["StatisticType"] = "Statistic"
            statistic = alarm.statistic or ""
            trigger["Statistic"] = re.sub(r"(?<=[a-z])(?=[A-Z])", "_", statistic).upper()
        trigger["Unit"] = getattr(alarm, "unit", None)
        trigger["Dimensions"] = [
            {"value": d.value, "name": d.name} for d in getattr(alarm, "dimensions", []) or []
        ]
        trigger["Period"] = alarm.period
    trigger["EvaluationPeriods"] = alarm.evaluation_periods
    if getattr(alarm, "datapoints_to_alarm", None) is not None:
        trigger["DatapointsToAlarm"] = alarm.datapoints_to_alarm
    trigger["ComparisonOperator"] = alarm.comparison_operator
    if getattr(alarm, "threshold_metric_id", None):
        trigger["ThresholdMetricId"] = alarm.threshold_metric_id
    else:
        trigger["Threshold"] = float(alarm.threshold) if alarm.threshold is not None else None
    trigger["TreatMissingData"] = getattr(alarm, "treat_missing_data", None) or "missing"
    trigger["EvaluateLowSampleCountPercentile"] = (
        getattr(alarm, "evaluate_low_sample_count_percentile", None) or ""
    )
    if queries:
        metrics = []
        for q in queries:
            entry: dict[str, Any] = {"Id": q.id}
            if getattr(q, "expression", None):
                entry["Expression"] = q.expression
            if getattr(q, "label", None):
                entry["Label"] = q.label
            stat = getattr(q, "metric_stat", None)
            if stat is not None:
                metric = stat.metric
                entry["MetricStat"] = {
                    "Metric": {
                        "Dimensions": [
                            {"value": d.value, "name": d.name}
                            for d in getattr(metric, "dimensions", []) or []
                        ],
                        "MetricName": metric.metric_name,
                        "Namespace": metric.namespace,
                    },
                    "Period": int(stat.period) if str(stat.period).isdigit() else stat.period,
                    "Stat": stat.stat,
                }
                if getattr(stat, "unit", None):
                    entry["MetricStat"]["Unit"] = stat.unit
            if getattr(q, "period", None):
                entry["Period"] = q.period
            entry["ReturnData"] = q.return_data in (None, True, "true", "True")
            metrics.append(entry)
        trigger["Metrics"] = metrics
    return trigger


class AlarmChange:
    """One alarm state change moto accepted, snapshotted under the SetAlarmState lock."""

    def __init__(
        self, account: str, region: str, alarm: Any, old: tuple[str, str, str]
    ) -> None:
        self.account, self.region = account, region
        self.name: str = alarm.name
        self.composite = getattr(alarm, "rule", None) is not None
        self.old_value, self.old_reason, self.old_data = old
        self.new_value: str = alarm.state_value
        self.new_reason: str = alarm.state_reason
        self.new_data: str = alarm.state_reason_data
        self.when = as_utc(alarm.state_updated_timestamp)
        self.ms = epoch_ms(self.when)
        self.actions_enabled = enabled(getattr(alarm, "actions_enabled", True))
        self.lists = {
            key: list(getattr(alarm, attr, None) or [])
            for key, attr in (
                ("OKActions", "ok_actions"), ("AlarmActions", "alarm_actions"),
                ("InsufficientDataActions", "insufficient_data_actions"),
            )
        }
        self.actions = list(getattr(alarm, STATE_ACTIONS.get(self.new_value, ""), None) or [])
        self.notification = self.build_notification(alarm)

    def build_notification(self, alarm: Any) -> dict[str, Any]:
        note: dict[str, Any] = {
            "AlarmName": self.name,
            "AlarmDescription": getattr(alarm, "description", None) or None,
            "AWSAccountId": self.account,
            "AlarmConfigurationUpdatedTimestamp": notification_time(
                getattr(alarm, "configuration_updated_timestamp", None)
            ),
            "NewStateValue": self.new_value,
            "NewStateReason": self.new_reason,
            "StateChangeTime": notification_time(self.when),
            "Region": region_description(self.region),
            "AlarmArn": alarm.alarm_arn,
            "OldStateValue": self.old_value,
        }
        if self.composite:
            note["AlarmRule"] = alarm.rule
        note.update(self.lists)
        if not self.composite:
            note["Trigger"] = alarm_trigger(alarm)
        return note

    def subject(self) -> str:
        text = f'{self.new_value}: "{self.name}" in {region_description(self.region)}'
        return cut(text, MAX_SUBJECT)

    def state_update_data(self) -> str:
        """HistoryData of the StateUpdate item (reason data dropped if it would not fit)."""
        old = {"stateValue": self.old_value, "stateReason": self.old_reason}
        new = {"stateValue": self.new_value, "stateReason": self.new_reason}
        old_data, new_data = reason_data(self.old_data), reason_data(self.new_data)
        if old_data is not None:
            old["stateReasonData"] = old_data
        if new_data is not None:
            new["stateReasonData"] = new_data
        for drop in (None, old, new):
            if drop is not None:
                drop.pop("stateReasonData", None)
            text = compact({"version": "1.0", "oldState": old, "newState": new})
            if len(text) <= MAX_HISTORY_DATA:
                return text
        return cut(text, MAX_HISTORY_DATA)


class AlarmHistory:
    """The alarm history items of every account and region (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._seq = 0

    def add(
        self,
        account: str,
        region: str,
        alarm: str,
        alarm_type: str,
        kind: str,
        summary: str,
        data: str,
        ms: int,
    ) -> None:
        with self._lock:
            self._seq += 1
            items = self._items.setdefault((account, region), [])
            items.append({
                "seq": self._seq, "ms": ms, "AlarmName": alarm, "AlarmType": alarm_type,
                "HistoryItemType": kind, "HistorySummary": cut(summary, MAX_HISTORY_SUMMARY),
                "HistoryData": data,
            })

    def reset(self) -> None:
        with self._lock:
            self._items.clear()

    def query(self, account: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
        """A DescribeAlarmHistory answer (awsJson members; Timestamp in epoch seconds)."""
        name = params.get("AlarmName")
        kind = params.get("HistoryItemType")
        if kind is not None and kind not in HISTORY_ITEM_TYPES:
            raise HistoryError("ValidationError", validation(
                kind, "historyItemType", f"Member must satisfy enum value set: "
                f"[{', '.join(HISTORY_ITEM_TYPES)}]"))
        types = params.get("AlarmTypes") or ["MetricAlarm"]
        if not isinstance(types, list) or any(t not in ALARM_TYPES for t in types):
            raise HistoryError("ValidationError", validation(
                types, "alarmTypes", f"Member must satisfy constraint: [Member must satisfy "
                f"enum value set: [{', '.join(ALARM_TYPES)}]]"))
        scan = params.get("ScanBy") or "TimestampDescending"
        if scan not in SCAN_BY:
            raise HistoryError("ValidationError", validation(
                scan, "scanBy", f"Member must satisfy enum value set: [{', '.join(SCAN_BY)}]"))
        limit = params.get("MaxRecords")
        if limit is None:
            limit = MAX_HISTORY_RECORDS
        try:
            limit = int(limit)
        except (TypeError, ValueError):
            raise HistoryError("ValidationError", validation(
                limit, "maxRecords", "Member must be an integer")) from None
        if not 1 <= limit <= MAX_HISTORY_RECORDS:
            bound = ("greater than or equal to 1" if limit < 1
                     else f"less than or equal to {MAX_HISTORY_RECORDS}")
            raise HistoryError("ValidationError", validation(
                limit, "maxRecords", f"Member must have value {bound}"))
        start = history_date(params.get("StartDate"), "startDate")
        end = history_date(params.get("EndDate"), "endDate")
        after = decode_history_token(params.get("NextToken"))
        descending = scan == "TimestampDescending"
        with self._lock:
            items = [dict(i) for i in self._items.get((account, region), [])]
        chosen = [
            i for i in items
            if (name is None or i["AlarmName"] == name)
            and (kind is None or i["HistoryItemType"] == kind)
            and i["AlarmType"] in types
            and (start is None or i["ms"] >= start)
            and (end is None or i["ms"] <= end)
        ]
        chosen.sort(key=lambda i: (i["ms"], i["seq"]), reverse=descending)
        if after is not None:
            chosen = [
                i for i in chosen
                if ((i["ms"], i["seq"]) < after if descending else (i["ms"], i["seq"]) > after)
            ]
        page, rest = chosen[:limit], chosen[limit:]
        answer: dict[str, Any] = {"AlarmHistoryItems": [
            {
                "AlarmName": i["AlarmName"], "AlarmType": i["AlarmType"],
                "Timestamp": i["ms"] / 1000, "HistoryItemType": i["HistoryItemType"],
                "HistorySummary": i["HistorySummary"], "HistoryData": i["HistoryData"],
            }
            for i in page
        ]}
        if rest:
            last = page[-1]
            token = f"{last['ms']}:{last['seq']}".encode()
            answer["NextToken"] = base64.urlsafe_b64encode(token).decode("ascii")
        return answer


def validation(value: Any, member: str, constraint: str) -> str:
    return (f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
            f"constraint: {constraint}")


def history_date(value: Any, member: str) -> int | None:
    """A StartDate/EndDate (epoch seconds from awsJson, ISO 8601 from awsQuery) -> epoch ms."""
    if value is None or value == "":
        return None
    try:
        return int(round(float(epoch_seconds(value)) * 1000))
    except (TypeError, ValueError, OverflowError):
        raise HistoryError("ValidationError", validation(
            value, member, "Member must be a timestamp")) from None


def decode_history_token(token: Any) -> tuple[int, int] | None:
    if token is None or token == "":
        return None
    try:
        text = base64.urlsafe_b64decode(str(token).encode("ascii")).decode("ascii")
        ms, seq = text.split(":")
        return int(ms), int(seq)
    except (ValueError, UnicodeError, TypeError):
        raise HistoryError("InvalidNextToken", "The next token specified is invalid.") from None


class CloudWatchAlarms:
    """n. of the module docstring: a WSGI layer right in front of moto that runs alarm actions
    after moto's SetAlarmState and answers DescribeAlarmHistory from its own store. Every other
    request passes straight through."""

    def __init__(self, app: Callable) -> None:
        self.app = app
        self.history = AlarmHistory()
        # SetAlarmState: the state before, moto's change and the state after, one call at a time.
        self._state_lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET") or ""
        protocol, operation, params = None, None, None
        if target.startswith(f"{CLOUDWATCH_TARGET}."):
            operation = target.split(".", 1)[1]
            if operation in ALARM_OPERATIONS:
                protocol = "json"
                try:
                    body = read_body(environ)
                    params = json.loads(body) if body.strip() else {}
                except ValueError:
                    params = None  # moto reports what is wrong
        elif not target and signing_service(environ) == "monitoring":
            query = query_params(environ)
            operation = query.get("Action")
            if operation in ALARM_OPERATIONS:
                protocol, params = "query", query_members(query)
        if protocol is None or not isinstance(params, dict):
            return list(self.app(environ, start_response))
        if operation == "SetAlarmState":
            return self.set_alarm_state(environ, start_response, params)
        return self.describe_alarm_history(environ, start_response, protocol, params)

    # ---- SetAlarmState ---------------------------------------------------------------------

    def set_alarm_state(
        self, environ: dict[str, Any], start_response: StartResponse, params: dict[str, Any]
    ) -> list[bytes]:
        from moto.cloudwatch.models import cloudwatch_backends

        account, region = request_account(environ), request_region(environ)
        name = params.get("AlarmName")
        change = None
        with self._state_lock:
            try:
                backend = cloudwatch_backends[account][region]
            except Exception:  # a region moto does not know: moto answers for it
                backend = None
            alarm = backend.alarms.get(name) if backend is not None and isinstance(name, str) \
                else None
            old = (
                (alarm.state_value, alarm.state_reason, alarm.state_reason_data)
                if alarm is not None else None
            )
            status, headers, answer = call_app(self.app, environ)
            if (
                200 <= status_code(status) < 300
                and alarm is not None
                and backend.alarms.get(name) is alarm
                and alarm.state_value != old[0]
            ):
                change = AlarmChange(account, region, alarm, old)
                self.history.add(
                    account, region, change.name,
                    "CompositeAlarm" if change.composite else "MetricAlarm", "StateUpdate",
                    f"Alarm updated from {change.old_value} to {change.new_value}",
                    change.state_update_data(), change.ms,
                )
        if change is not None and change.actions_enabled:
            for action in change.actions:
                self.run_action(change, action)
        start_response(status, headers)
        return [answer]

    def run_action(self, change: AlarmChange, action: str) -> None:
        """Run one alarm action (an SNS publish, or nothing) and record its Action item."""
        data: dict[str, Any] = {"actionState": "Succeeded", "stateUpdateTimestamp": change.ms}
        summary = f"Successfully executed action {action}"
        if isinstance(action, str) and SNS_TOPIC_ARN.match(action):
            data["notificationResource"] = action
            published = compact({"default": compact(change.notification)})
            error = self.publish(action, change.subject(), published)
            if error is None:
                data["publishedMessage"] = published
                if len(compact(data)) > MAX_HISTORY_DATA:
                    del data["publishedMessage"]
            else:
                data["actionState"] = "Failed"
                data["error"] = error
                summary = f'Failed to execute action {action}. Received error: "{error}"'
        self.history.add(
            change.account, change.region, change.name,
            "CompositeAlarm" if change.composite else "MetricAlarm", "Action", summary,
            cut(compact(data), MAX_HISTORY_DATA), max(int(time.time() * 1000), change.ms),
        )

    @staticmethod
    def publish(topic: str, subject: str, message: str) -> str | None:
        """Publish to an SNS topic through moto's backend: None, or the error's message."""
        from moto.sns.models import sns_backends

        match = SNS_TOPIC_ARN.match(topic)
        assert match is not None
        try:
            backend = sns_backends[match.group("account")][match.group("region")]
            if topic not in backend.topics:
                return TOPIC_MISSING
            backend.publish(message, arn=topic, subject=subject, message_structure="json")
        except Exception as exc:
            print_traceback()
            text = getattr(exc, "message", None) or getattr(exc, "description", None)
            if not isinstance(text, str) or not text.strip() or text.lstrip().startswith("<"):
                text = str(exc) or type(exc).__name__
            return text.strip()
        return None

    # ---- DescribeAlarmHistory --------------------------------------------------------------

    def describe_alarm_history(
        self,
        environ: dict[str, Any],
        start_response: StartResponse,
        protocol: str,
        params: dict[str, Any],
    ) -> list[bytes]:
        if IAM_ENFORCED:
            # moto checks the caller's permission before it finds it has no such operation.
            try:
                status, headers, answer = call_app(self.app, environ)
            except Exception:  # NotImplementedError: allowed
                pass
            else:
                if 400 <= status_code(status) < 500:
                    start_response(status, headers)
                    return [answer]
        try:
            result = self.history.query(request_account(environ), request_region(environ), params)
        except HistoryError as exc:
            if protocol == "json":
                return aws_json_error(
                    start_response, "400 Bad Request", exc.code, exc.message,
                    "application/x-amz-json-1.0",
                    extra=[("x-amzn-query-error", f"{exc.code};Sender")],
                )
            return aws_query_error(start_response, "400 Bad Request", exc.code, exc.message)
        request_id = str(uuid.uuid4())
        if protocol == "json":
            data = json.dumps(result).encode("utf-8")
            content_type = "application/x-amz-json-1.0"
        else:
            data = history_xml(result, request_id)
            content_type = "text/xml"
        start_response("200 OK", [
            ("x-amzn-RequestId", request_id),
            ("Content-Type", content_type),
            ("Content-Length", str(len(data))),
        ])
        return [data]


def query_members(query: dict[str, str]) -> dict[str, Any]:
    """awsQuery parameters -> the awsJson members DescribeAlarmHistory/SetAlarmState take
    (``AlarmTypes.member.N`` as a list, the rest as strings)."""
    params: dict[str, Any] = {}
    types: list[tuple[int, str]] = []
    for key, value in query.items():
        match = re.fullmatch(r"AlarmTypes\.member\.(\d+)", key)
        if match:
            types.append((int(match.group(1)), value))
        elif key not in ("Action", "Version"):
            params[key] = value
    if types:
        params["AlarmTypes"] = [value for _, value in sorted(types)]
    return params


def history_xml(result: dict[str, Any], request_id: str) -> bytes:
    """A DescribeAlarmHistory answer in awsQuery XML."""
    root = ET.Element("DescribeAlarmHistoryResponse", xmlns=CLOUDWATCH_XMLNS)
    body = ET.SubElement(root, "DescribeAlarmHistoryResult")
    items = ET.SubElement(body, "AlarmHistoryItems")
    for item in result["AlarmHistoryItems"]:
        member = ET.SubElement(items, "member")
        for key in ("AlarmName", "AlarmType", "Timestamp", "HistoryItemType", "HistorySummary",
                    "HistoryData"):
            value = item[key]
            ET.SubElement(member, key).text = iso_time(value) if key == "Timestamp" else value
    if "NextToken" in result:
        ET.SubElement(body, "NextToken").text = result["NextToken"]
    metadata = ET.SubElement(root, "ResponseMetadata")
    ET.SubElement(metadata, "RequestId").text = request_id
    return ET.tostring(root, encoding="utf-8")


# --------------------------------------------------------------------------------------------
# Security Hub answered as AWS does (o. and p. of the module docstring)
# --------------------------------------------------------------------------------------------

# restJson1 services (SigV4 signing names) whose errors the emulator writes in restJson's shape
# and whose requests it logs under their operation names (o.).
REST_JSON_SERVICES = frozenset({"securityhub"})
SECURITYHUB_OPERATIONS = frozenset({"BatchImportFindings", "BatchUpdateFindings"})
# arn:<partition>:securityhub:<region>:<account>:product/<account>/default
DEFAULT_PRODUCT_ARN = re.compile(
    r"^arn:[^:]+:securityhub:[^:]*:(?P<account>[^:]*):product/(?P<owner>[^/]+)/default$"
)
MAX_IMPORT_FINDINGS = 100
MAX_FINDING_IDENTIFIERS = 100
MAX_NOTE_TEXT = 512
WORKFLOW_STATUSES = ("NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED")
# Workflow.Status -> the deprecated WorkflowState AWS keeps in step with it.
WORKFLOW_STATES = {
    "NEW": "NEW", "NOTIFIED": "ASSIGNED", "RESOLVED": "RESOLVED", "SUPPRESSED": "DEFERRED",
}
SEVERITY_LABELS = ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")
# Severity.Label -> the Severity.Normalized AWS sets with it (when Normalized is not given).
SEVERITY_NORMALIZED = {"INFORMATIONAL": 0, "LOW": 1, "MEDIUM": 40, "HIGH": 70, "CRITICAL": 90}
VERIFICATION_STATES = ("UNKNOWN", "TRUE_POSITIVE", "FALSE_POSITIVE", "BENIGN_POSITIVE")
FINDING_NOT_FOUND = "Finding not found"
INVALID_ACCESS = "401 Unauthorized"

# signing name -> [(HTTP method, path pattern, operation, labels)], from botocore's model, read
# once.
_REST_ROUTES: dict[str, list[tuple[str, re.Pattern, str, int]]] = {}
_REST_ROUTES_LOCK = threading.Lock()


def rest_operation(service: str, method: str, path: str) -> str | None:
    """The operation of a restJson request (``PATCH /findings/batchupdate`` ->
    ``BatchUpdateFindings``) from botocore's model of `service`, or None."""
    with _REST_ROUTES_LOCK:
        routes = _REST_ROUTES.get(service)
        if routes is None:
            routes = _REST_ROUTES[service] = []  # read once, even if reading fails
            try:
                import botocore.session

                model = botocore.session.get_session().get_service_model(service)
                for name in model.operation_names:
                    http_ = model.operation_model(name).http
                    uri = http_.get("requestUri", "/").split("?", 1)[0]
                    parts = re.split(r"(\{[^}]+\})", uri)
                    pattern = "".join(
                        (".+" if part.endswith("+}") else "[^/]+") if part.startswith("{")
                        else re.escape(part)
                        for part in parts
                    )
                    routes.append((http_.get("method", "POST"), re.compile(f"^{pattern}/?$"),
                                   name, uri.count("{")))
                # A literal path wins over a template that also matches it.
                routes.sort(key=lambda route: route[3])
            except Exception:
                print_traceback()
    for route_method, pattern, name, _ in routes:
        if route_method == method and pattern.match(path):
            return name
    return None


def rest_json_error(
    start_response: StartResponse,
    status: str,
    code: str,
    message: str,
    exc_info: Any = None,
) -> list[bytes]:
    """A restJson1 error answer as moto writes Security Hub's own: ``X-Amzn-ErrorType: <code>``
    and ``{"__type": <code>, "Message": ..., "Code": <code>}`` (botocore and the Rust SDK read
    the code from either)."""
    data = json.dumps({"__type": code, "Message": message, "Code": code}).encode("utf-8")
    headers = [
        ("x-amzn-RequestId", str(uuid.uuid4())),
        ("X-Amzn-ErrorType", code),
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(data))),
    ]
    start_response(status, headers, exc_info)
    return [data]


def is_rest_json(environ: dict[str, Any]) -> bool:
    """A restJson1 call (o.): signed for one of REST_JSON_SERVICES, no X-Amz-Target."""
    return not environ.get("HTTP_X_AMZ_TARGET") and signing_service(environ) in REST_JSON_SERVICES


def moto_denial(environ: dict[str, Any]) -> tuple[int, str, str] | None:
    """With IAM enforcement on, moto's own authentication and authorization of this Security
    Hub request (the action its path names in botocore's model, e.g.
    ``securityhub:BatchUpdateFindings``, which moto checks although it has no route for it):
    (status, code, message) of its refusal, or None. It counts as one of moto's
    INITIAL_NO_AUTH_ACTION_COUNT free requests, as the request would in moto. Without
    enforcement: None."""
    if not IAM_ENFORCED:
        return None
    from moto.moto_server.werkzeug_app import BackendRequest
    from moto.securityhub.responses import SecurityHubResponse
    from werkzeug.exceptions import HTTPException

    body = read_body(environ)
    inner = dict(environ, **{"wsgi.input": io.BytesIO(body)})
    inner.pop("werkzeug.request", None)
    response = SecurityHubResponse()
    response.setup_class(BackendRequest(inner))
    try:
        response._authenticate_and_authorize_normal_action()
    except HTTPException as exc:
        description = exc.description or ""
        code, message, _ = parse_moto_error(
            description.encode("utf-8") if isinstance(description, str) else description
        )
        if code in ("AccessDenied", "AccessDeniedException"):
            code = "AccessDeniedException"
        return exc.code or 403, code, message or ""
    return None


def utc_now() -> str:
    """Now in ISO 8601 with milliseconds, as Security Hub writes its times."""
    moment = dt.datetime.now(dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class SecurityHubError(Exception):
    """A Security Hub request the emulator refuses (HTTP status, code, message)."""

    def __init__(self, status: str, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def invalid_input(message: str) -> SecurityHubError:
    return SecurityHubError("400 Bad Request", "InvalidInputException", message)


def is_text(value: Any) -> bool:
    """A string with a character that is not white space (the model's ``.*\\S.*``)."""
    return isinstance(value, str) and bool(value.strip())


def is_int_between(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def batch_update_request(params: Any) -> dict[str, Any]:
    """BatchUpdateFindings' request checked as AWS checks it; raises SecurityHubError
    (InvalidInputException) naming the first member that is wrong."""
    if not isinstance(params, dict):
        raise invalid_input("The request body must be a JSON object.")
    identifiers = params.get("FindingIdentifiers")
    if not isinstance(identifiers, list):
        raise invalid_input("Invalid parameter 'FindingIdentifiers': it is required (a list).")
    if not 1 <= len(identifiers) <= MAX_FINDING_IDENTIFIERS:
        raise invalid_input(
            f"Invalid parameter 'FindingIdentifiers': it must hold 1 to "
            f"{MAX_FINDING_IDENTIFIERS} finding identifiers, not {len(identifiers)}."
        )
    for i, identifier in enumerate(identifiers):
        if not (isinstance(identifier, dict) and is_text(identifier.get("Id"))
                and is_text(identifier.get("ProductArn"))):
            raise invalid_input(
                f"Invalid parameter 'FindingIdentifiers[{i}]': Id and ProductArn are required."
            )
    note = params.get("Note")
    if note is not None:
        if not isinstance(note, dict):
            raise invalid_input("Invalid parameter 'Note': it must be an object.")
        for member in ("Text", "UpdatedBy"):
            if not is_text(note.get(member)):
                raise invalid_input(
                    f"Invalid parameter 'Note.{member}': a Note needs both Text and UpdatedBy."
                )
        if len(note["Text"]) > MAX_NOTE_TEXT:
            raise invalid_input(
                f"Invalid parameter 'Note.Text': at most {MAX_NOTE_TEXT} characters, not "
                f"{len(note['Text'])}."
            )
    workflow = params.get("Workflow")
    if workflow is not None:
        if not isinstance(workflow, dict):
            raise invalid_input("Invalid parameter 'Workflow': it must be an object.")
        if "Status" in workflow and workflow["Status"] not in WORKFLOW_STATUSES:
            raise invalid_input(
                f"Invalid parameter 'Workflow.Status': {workflow['Status']!r} is not one of "
                f"{', '.join(WORKFLOW_STATUSES)}."
            )
    severity = params.get("Severity")
    if severity is not None:
        if not isinstance(severity, dict):
            raise invalid_input("Invalid parameter 'Severity': it must be an object.")
        if "Label" in severity and severity["Label"] not in SEVERITY_LABELS:
            raise invalid_input(
                f"Invalid parameter 'Severity.Label': {severity['Label']!r} is not one of "
                f"{', '.join(SEVERITY_LABELS)}."
            )
        if "Normalized" in severity and not is_int_between(severity["Normalized"], 0, 100):
            raise invalid_input("Invalid parameter 'Severity.Normalized': an integer 0 to 100.")
        if "Product" in severity and not isinstance(severity["Product"], (int, float)):
            raise invalid_input("Invalid parameter 'Severity.Product': a number.")
    state = params.get("VerificationState")
    if state is not None and state not in VERIFICATION_STATES:
        raise invalid_input(
            f"Invalid parameter 'VerificationState': {state!r} is not one of "
            f"{', '.join(VERIFICATION_STATES)}."
        )
    for member in ("Confidence", "Criticality"):
        if member in params and not is_int_between(params[member], 0, 100):
            raise invalid_input(f"Invalid parameter '{member}': an integer 0 to 100.")
    fields = params.get("UserDefinedFields")
    if fields is not None and not (
        isinstance(fields, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in fields.items())
    ):
        raise invalid_input("Invalid parameter 'UserDefinedFields': a map of strings.")
    types = params.get("Types")
    if types is not None and not (
        isinstance(types, list) and all(isinstance(t, str) for t in types)
    ):
        raise invalid_input("Invalid parameter 'Types': a list of strings.")
    related = params.get("RelatedFindings")
    if related is not None and not (
        isinstance(related, list)
        and all(isinstance(r, dict) and is_text(r.get("Id")) and is_text(r.get("ProductArn"))
                for r in related)
    ):
        raise invalid_input("Invalid parameter 'RelatedFindings': a list of {ProductArn, Id}.")
    return params


def severity_update(current: Any, update: dict[str, Any]) -> dict[str, Any]:
    """A finding's Severity after BatchUpdateFindings' ``Severity``: the members given, and a
    Label without Normalized (or the other way round) brings the other along, as on AWS."""
    severity = dict(current) if isinstance(current, dict) else {}
    severity.update(update)
    if "Label" in update and "Normalized" not in update:
        severity["Normalized"] = SEVERITY_NORMALIZED[update["Label"]]
    elif "Normalized" in update and "Label" not in update:
        value = update["Normalized"]
        severity["Label"] = (
            "INFORMATIONAL" if value == 0 else "LOW" if value < 40 else "MEDIUM" if value < 70
            else "HIGH" if value < 90 else "CRITICAL"
        )
    return severity


class SecurityHub:
    """o. and p. of the module docstring: BatchImportFindings and BatchUpdateFindings answered
    against moto's Security Hub backend of the caller's account and region (moto's own:
    request_account, request_region). Every change to moto's findings made here happens under
    one lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __call__(
        self, environ: dict[str, Any], start_response: StartResponse, operation: str
    ) -> list[bytes]:
        body = read_body(environ)
        denial = moto_denial(environ)
        if denial is not None:
            status, code, message = denial
            return rest_json_error(start_response, status_line(status), code, message)
        account, region = request_account(environ), request_region(environ)
        try:
            try:
                params = json.loads(body) if body.strip() else {}
            except ValueError:
                raise invalid_input("The request body is not valid JSON.") from None
            if operation == "BatchUpdateFindings":
                result = self.batch_update_findings(account, region, params)
            else:
                result = self.batch_import_findings(account, region, params)
        except SecurityHubError as exc:
            return rest_json_error(start_response, exc.status, exc.code, exc.message)
        data = json.dumps(result).encode("utf-8")
        start_response("200 OK", [
            ("x-amzn-RequestId", str(uuid.uuid4())),
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(data))),
        ])
        return [data]

    @staticmethod
    def subscribed_backend(account: str, region: str) -> Any:
        """moto's Security Hub backend of this account and region, if Security Hub is enabled
        there; SecurityHubError (HTTP 401 InvalidAccessException, AWS's answer) otherwise."""
        from moto.securityhub.models import securityhub_backends

        try:
            backend = securityhub_backends[account][region]
        except Exception:  # a region moto does not know: nothing is enabled there
            backend = None
        if backend is None or not backend.enabled:
            raise SecurityHubError(
                INVALID_ACCESS, "InvalidAccessException",
                f"Account {account} is not subscribed to AWS Security Hub",
            )
        return backend

    def batch_import_findings(self, account: str, region: str, params: Any) -> dict[str, Any]:
        findings = params.get("Findings") if isinstance(params, dict) else None
        if not isinstance(findings, list) or not all(isinstance(f, dict) for f in findings):
            raise invalid_input(
                "Invalid parameter 'Findings': it is required (a list of findings)."
            )
        if not 1 <= len(findings) <= MAX_IMPORT_FINDINGS:
            raise invalid_input(
                f"Invalid parameter 'Findings': it must hold 1 to {MAX_IMPORT_FINDINGS} "
                f"findings, not {len(findings)}."
            )
        backend = self.subscribed_backend(account, region)
        failed: list[dict[str, Any]] = []
        succeeded = 0
        with self._lock:
            for finding in findings:
                refusal = self.foreign_default_product(account, finding)
                if refusal is not None:
                    failed.append({"ErrorCode": "AccessDeniedException", "ErrorMessage": refusal,
                                   "Id": finding.get("Id", "")})
                    continue
                # moto's own import, one finding at a time so the failures keep their order.
                _, ok, errors = backend.batch_import_findings(findings=[finding])
                succeeded += ok
                failed.extend(
                    {"ErrorCode": e.get("ErrorCode"), "ErrorMessage": e.get("ErrorMessage"),
                     "Id": e.get("Id")}
                    for e in errors
                )
        return {"FailedCount": len(failed), "FailedFindings": failed, "SuccessCount": succeeded}

    @staticmethod
    def foreign_default_product(account: str, finding: dict[str, Any]) -> str | None:
        """Why AWS refuses this finding from `account` (a default-product finding that names
        another account), or None."""
        arn = finding.get("ProductArn")
        match = DEFAULT_PRODUCT_ARN.match(arn) if isinstance(arn, str) else None
        if match is None:
            return None
        named = (match.group("account"), match.group("owner"), finding.get("AwsAccountId"))
        if all(value == account for value in named):
            return None
        return (
            f"Account {account} cannot import this finding: a finding for the default product "
            f"must name the calling account in its ProductArn and AwsAccountId (ProductArn "
            f"{arn}, AwsAccountId {finding.get('AwsAccountId')})"
        )

    def batch_update_findings(self, account: str, region: str, params: Any) -> dict[str, Any]:
        request = batch_update_request(params)
        backend = self.subscribed_backend(account, region)
        now = utc_now()
        processed: list[dict[str, str]] = []
        unprocessed: list[dict[str, Any]] = []
        with self._lock:
            for identifier in request["FindingIdentifiers"]:
                wanted = {"Id": identifier["Id"], "ProductArn": identifier["ProductArn"]}
                finding = next(
                    (f for f in backend.findings
                     if f.id == wanted["Id"] and f.data.get("ProductArn") == wanted["ProductArn"]),
                    None,
                )
                if finding is None:
                    unprocessed.append({
                        "FindingIdentifier": wanted, "ErrorCode": "FindingNotFound",
                        "ErrorMessage": FINDING_NOT_FOUND,
                    })
                    continue
                self.update(finding.data, request, now)
                processed.append(wanted)
        return {"ProcessedFindings": processed, "UnprocessedFindings": unprocessed}

    @staticmethod
    def update(data: dict[str, Any], request: dict[str, Any], now: str) -> None:
        """Apply BatchUpdateFindings' members to one stored finding."""
        status = (request.get("Workflow") or {}).get("Status")
        if status is not None:
            data["Workflow"] = {"Status": status}
            data["WorkflowState"] = WORKFLOW_STATES[status]
        note = request.get("Note")
        if note is not None:
            data["Note"] = {"Text": note["Text"], "UpdatedBy": note["UpdatedBy"], "UpdatedAt": now}
        if request.get("Severity") is not None:
            data["Severity"] = severity_update(data.get("Severity"), request["Severity"])
        for member in ("VerificationState", "Confidence", "Criticality", "Types",
                       "RelatedFindings"):
            if request.get(member) is not None:
                data[member] = request[member]
        if request.get("UserDefinedFields") is not None:
            fields = dict(data.get("UserDefinedFields") or {})
            fields.update(request["UserDefinedFields"])
            data["UserDefinedFields"] = fields
        data["UpdatedAt"] = now


# --------------------------------------------------------------------------------------------
# Faults, overrides, chaos and stalls (control endpoints d. to g. of the module docstring)
# --------------------------------------------------------------------------------------------


class ControlError(ValueError):
    """A control request the emulator cannot take: answered 400 ``{"message": ...}``."""


def control_body(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body) if body.strip() else None
    except ValueError as exc:
        raise ControlError(f"the body is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ControlError("the body must be a JSON object")
    return value


def control_operation(value: dict[str, Any]) -> str:
    operation = value.get("operation")
    if not isinstance(operation, str) or not operation:
        raise ControlError('"operation" must be a non-empty string, e.g. "DescribeTrails"')
    return operation


def parse_fault(body: bytes) -> dict[str, Any]:
    """A `POST /_trailwatch/faults` body -> the stored fault (every member filled in)."""
    value = control_body(body)
    unknown = sorted(
        set(value) - {"operation", "skip", "times", "status", "code", "message", "lost"}
    )
    if unknown:
        raise ControlError(f"unknown members {unknown}")
    fault = {
        "operation": control_operation(value),
        "skip": value.get("skip", 0),
        "times": value.get("times"),
        "status": value.get("status", 500),
        "code": value.get("code", "InternalFailure"),
        "message": value.get("message", FAULT_MESSAGE),
        "lost": value.get("lost", False),
    }
    if type(fault["skip"]) is not int or fault["skip"] < 0:
        raise ControlError('"skip" must be an integer >= 0')
    if fault["times"] is not None and (type(fault["times"]) is not int or fault["times"] < 1):
        raise ControlError('"times" must be an integer >= 1, or null for every later request')
    if type(fault["lost"]) is not bool:
        raise ControlError('"lost" must be true or false')
    if type(fault["status"]) is not int or not 400 <= fault["status"] <= 599:
        raise ControlError('"status" must be an integer HTTP error status (400-599)')
    if not isinstance(fault["code"], str) or not fault["code"]:
        raise ControlError('"code" must be a non-empty string')
    if not isinstance(fault["message"], str):
        raise ControlError('"message" must be a string')
    return fault


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def parse_chaos(body: bytes) -> dict[str, Any]:
    """A `POST /_trailwatch/chaos` body -> the stored chaos settings (every member filled in)."""
    value = control_body(body)
    unknown = sorted(set(value) - {"rate", "seed", "operations", "kinds"})
    if unknown:
        raise ControlError(f"unknown members {unknown}")
    if "rate" not in value:
        raise ControlError('"rate" is required: a number from 0 to 1, e.g. 0.3')
    chaos = {
        "rate": value["rate"],
        "seed": value.get("seed", 0),
        "operations": value.get("operations", ["*"]),
        "kinds": value.get("kinds", list(CHAOS_KINDS)),
    }
    if not is_number(chaos["rate"]) or not 0 <= chaos["rate"] <= 1:
        raise ControlError('"rate" must be a number from 0 to 1')
    if type(chaos["seed"]) is not int:
        raise ControlError('"seed" must be an integer')
    operations = chaos["operations"]
    if (
        not isinstance(operations, list)
        or not operations
        or not all(isinstance(op, str) and op for op in operations)
    ):
        raise ControlError('"operations" must be a non-empty array of operation names or "*"')
    kinds = chaos["kinds"]
    if (
        not isinstance(kinds, list)
        or not kinds
        or not all(isinstance(kind, str) and kind in CHAOS_KINDS for kind in kinds)
    ):
        raise ControlError(f'"kinds" must be a non-empty array of {sorted(CHAOS_KINDS)}')
    return chaos


def parse_stall(body: bytes) -> dict[str, Any]:
    """A `POST /_trailwatch/stall` body -> the stored stall (every member filled in)."""
    value = control_body(body)
    unknown = sorted(set(value) - {"operation", "skip", "seconds"})
    if unknown:
        raise ControlError(f"unknown members {unknown}")
    stall = {
        "operation": control_operation(value),
        "skip": value.get("skip", 0),
        "seconds": value.get("seconds"),
    }
    if type(stall["skip"]) is not int or stall["skip"] < 0:
        raise ControlError('"skip" must be an integer >= 0')
    if not is_number(stall["seconds"]) or not 0 < stall["seconds"] <= MAX_STALL_SECONDS:
        raise ControlError(f'"seconds" must be a number > 0 and <= {MAX_STALL_SECONDS}')
    return stall


def parse_override(body: bytes) -> dict[str, Any]:
    """A `POST /_trailwatch/override` body -> the stored override."""
    value = control_body(body)
    unknown = sorted(set(value) - {"operation", "merge"})
    if unknown:
        raise ControlError(f"unknown members {unknown}")
    merge = value.get("merge")
    if not isinstance(merge, dict):
        raise ControlError('"merge" must be a JSON object')
    return {"operation": control_operation(value), "merge": merge}


def parse_sns_confirm(body: bytes) -> dict[str, str]:
    """A `POST /_trailwatch/sns/confirm` body (may be empty) -> the filters it sets."""
    value = control_body(body) if body.strip() else {}
    unknown = sorted(set(value) - {"endpoint", "topic_arn"})
    if unknown:
        raise ControlError(f'unknown members {unknown} (known: "endpoint", "topic_arn")')
    for key in ("endpoint", "topic_arn"):
        if key in value and (not isinstance(value[key], str) or not value[key]):
            raise ControlError(f'"{key}" must be a non-empty string')
    return value


def merge_answer(body: bytes, merge: dict[str, Any]) -> bytes | None:
    """`merge` applied to a JSON-object answer (null removes a key); None if not an object."""
    try:
        answer = json.loads(body) if body.strip() else {}
    except ValueError:
        return None
    if not isinstance(answer, dict):
        return None
    for key, value in merge.items():
        if value is None:
            answer.pop(key, None)
        else:
            answer[key] = value
    return json.dumps(answer).encode("utf-8")


# --------------------------------------------------------------------------------------------
# The middleware
# --------------------------------------------------------------------------------------------


class TrailwatchMiddleware:
    """Request log + control endpoints (faults, overrides, chaos, stalls, SNS confirmations,
    alarm history) + CloudWatch CBOR adapter + Logs fixes + pending SNS subscriptions + alarm
    actions and history + Security Hub fixes in front of moto."""

    def __init__(self, app: Callable) -> None:
        # Alarm actions and history (n.) sit right in front of moto, under the CBOR adapter
        # and every other path to moto; not touched by requests/reset.
        self.alarms = CloudWatchAlarms(app)
        self.app = self.alarms
        self.cbor = CborAdapter(self.alarms)
        self.logs = LogsAdapter(app)
        # Pending SNS subscriptions (l.); not touched by requests/reset.
        self.sns = SnsConfirmations(enabled=not CONFIRM_AT_ONCE)
        # Security Hub's BatchImportFindings and BatchUpdateFindings (o., p.).
        self.securityhub = SecurityHub()
        self._log: list[dict[str, Any]] = []
        self._log_lock = threading.Lock()
        # operation -> fault (as parse_fault returns it, plus "seen": matching requests so far)
        self._faults: dict[str, dict[str, Any]] = {}
        # operation -> top-level members to merge into its awsJson answers
        self._overrides: dict[str, dict[str, Any]] = {}
        # chaos settings (as parse_chaos returns them) and their random.Random, or None
        self._chaos: dict[str, Any] | None = None
        self._chaos_rng: random.Random | None = None
        # operation -> stall (as parse_stall returns it, plus "seen" and its threading.Event)
        self._stalls: dict[str, dict[str, Any]] = {}
        # every stall's Event since the last stall/reset (replaced stalls' waiters included)
        self._stall_events: list[threading.Event] = []
        # Taken before _log_lock when both are needed (never the other way round).
        self._control_lock = threading.Lock()

    def record(
        self, service: str | None, operation: str, extra: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "service": service, "operation": operation, "ms": None, "reached": False,
            "at": round(time.perf_counter(), 6),
        }
        entry.update(extra or {})
        with self._log_lock:
            self._log.append(entry)
        return entry

    def update_entry(self, entry: dict[str, Any], **fields: Any) -> None:
        """Change a logged entry (under the log lock: GET /_trailwatch/requests copies them)."""
        with self._log_lock:
            entry.update(fields)

    def take_fault(self, operation: str) -> dict[str, Any] | None:
        """The fault to answer this request with, if any (counts the request against `skip`
        and `times`).

        The caller holds _control_lock.
        """
        fault = self._faults.get(operation)
        if fault is None:
            return None
        fault["seen"] += 1
        turn = fault["seen"] - fault["skip"]  # 1 for the first request the fault answers
        if turn < 1 or (fault["times"] is not None and turn > fault["times"]):
            return None
        return dict(fault)

    def take_chaos(self, operation: str) -> str | None:
        """The chaos kind to answer this request with, if any (one draw per matching request).

        The caller holds _control_lock, so the draws follow the order of the request log.
        """
        chaos, rng = self._chaos, self._chaos_rng
        if chaos is None or rng is None:
            return None
        if "*" not in chaos["operations"] and operation not in chaos["operations"]:
            return None
        if rng.random() < chaos["rate"]:
            return rng.choice(chaos["kinds"])
        return None

    def take_stall(self, operation: str) -> tuple[float, threading.Event] | None:
        """(seconds, event) if this request must wait (counts it against `skip`).

        The caller holds _control_lock.
        """
        stall = self._stalls.get(operation)
        if stall is None:
            return None
        stall["seen"] += 1
        if stall["seen"] <= stall["skip"]:
            return None
        return stall["seconds"], stall["event"]

    def decide(
        self, service: str | None, operation: str, extra: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any] | None, str | None, tuple | None]:
        """Log the request and decide, in log order, its fault, chaos kind or stall (a request
        whose answer a fault loses reaches moto, so a stall may hold it)."""
        with self._control_lock:
            entry = self.record(service, operation, extra)
            fault = self.take_fault(operation)
            kind = self.take_chaos(operation) if fault is None else None
            reaches = kind is None and (fault is None or fault["lost"])
            stall = self.take_stall(operation) if reaches else None
        return entry, fault, kind, stall

    def override_for(self, operation: str) -> dict[str, Any] | None:
        with self._control_lock:
            merge = self._overrides.get(operation)
            return dict(merge) if merge is not None else None

    def answer_error(
        self,
        environ: dict[str, Any],
        start_response: StartResponse,
        status: int,
        codes: dict[str, str],
        message: str,
        cbor_service: str | None,
        target: str | None,
    ) -> list[bytes]:
        """Answer an error in the request's protocol without calling moto.

        `codes` maps the protocol ("cbor", "json" or "query") to the error code.
        """
        read_body(environ)  # consume the request body, as moto would have
        line = status_line(status)
        if cbor_service in CBOR_SERVICES:
            service_name, namespace = CBOR_SERVICES[cbor_service]
            model = self.cbor.model(service_name)
            return self.cbor.error(start_response, model, namespace, line, codes["cbor"], message)
        if target:
            content_type = environ.get("CONTENT_TYPE") or ""
            if content_type.startswith("application/x-amz-json-1.0"):
                content_type = "application/x-amz-json-1.0"
            else:
                content_type = AWS_JSON_1_1
            if target.split(".", 1)[0] in CBOR_SERVICES:
                # CloudWatch over awsJson1_0 (what boto3 sends) is awsQuery-compatible: its
                # codes are the awsQuery ones, repeated in the x-amzn-query-error header.
                code = codes["query"]
                fault = "Receiver" if status >= 500 else "Sender"
                return aws_json_error(
                    start_response, line, code, message, content_type,
                    extra=[("x-amzn-query-error", f"{code};{fault}")],
                )
            return aws_json_error(start_response, line, codes["json"], message, content_type)
        if is_rest_json(environ):
            return rest_json_error(start_response, line, codes["json"], message)
        return aws_query_error(start_response, line, codes["query"], message)

    def answer_fault(
        self,
        environ: dict[str, Any],
        start_response: StartResponse,
        fault: dict[str, Any],
        cbor_service: str | None,
        target: str | None,
    ) -> list[bytes]:
        """Answer with an injected fault in the request's protocol (moto is not called)."""
        code = fault["code"]
        return self.answer_error(
            environ, start_response, fault["status"],
            {"cbor": code, "json": code, "query": code}, fault["message"], cbor_service, target,
        )

    def answer_chaos(
        self,
        environ: dict[str, Any],
        start_response: StartResponse,
        kind: str,
        cbor_service: str | None,
        target: str | None,
    ) -> list[bytes]:
        """Answer with a chaos error of `kind` in the request's protocol (moto is not called)."""
        status, codes, message = CHAOS_KINDS[kind]
        return self.answer_error(
            environ, start_response, status, codes, message, cbor_service, target
        )

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if not IAM_ENFORCED:
            return self.handle(environ, start_response)
        # One request at a time under IAM enforcement (see _INTERNAL), the answer read whole.
        with _INTERNAL:
            return list(self.handle(environ, start_response))

    def handle(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        method = environ.get("REQUEST_METHOD", "GET")
        if path.startswith(CONTROL_PREFIX):
            return self.control(environ, method, path, start_response)

        service = signing_service(environ)
        cbor_call = CBOR_PATH.match(path) if method == "POST" else None
        target = environ.get("HTTP_X_AMZ_TARGET")
        content_type = environ.get("CONTENT_TYPE", "")

        if cbor_call:
            operation = cbor_call.group("operation")
        elif target:
            operation = target.rsplit(".", 1)[-1]
        elif service in REST_JSON_SERVICES:
            # restJson (o.): the operation botocore's model routes the method and path to.
            operation = rest_operation(service, method, path) or f"{method} {path}"
        else:
            operation = None
            query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
            if query.get("Action"):
                operation = query["Action"][0]
            elif content_type.startswith("application/x-www-form-urlencoded"):
                operation = form_action(read_body(environ))
            if not operation:
                operation = f"{method} {path}"
        extra = None
        if operation == "AssumeRole" and not cbor_call and not target:
            extra = {"assume": assume_role_fields(query_params(environ))}
        entry, fault, kind, stall = self.decide(service, operation, extra)
        started = time.perf_counter()
        try:
            cbor_service = cbor_call.group("service") if cbor_call else None
            if fault is not None and not fault["lost"]:
                self.update_entry(entry, fault="injected")
                return self.answer_fault(environ, start_response, fault, cbor_service, target)
            if kind is not None:
                self.update_entry(entry, fault=kind)
                return self.answer_chaos(environ, start_response, kind, cbor_service, target)
            if fault is not None:
                self.update_entry(entry, fault="lost")
            if stall is not None:
                seconds, event = stall
                self.update_entry(entry, stalled=True)
                event.wait(seconds)  # stall/reset sets it: go on at once
            self.update_entry(entry, reached=True)
            if fault is not None:
                return self.lose(
                    environ, start_response, entry, fault, operation, cbor_call, target
                )
            return self.forward(environ, start_response, operation, cbor_call, target)
        except Exception as exc:  # moto lets e.g. NotImplementedError escape Flask
            print_traceback()
            return internal_error(environ, start_response, exc)
        finally:
            # Server-side time of this request, for scripts/bench (not used by any assertion).
            self.update_entry(entry, ms=round((time.perf_counter() - started) * 1000, 3))

    def forward(
        self,
        environ: dict[str, Any],
        start_response: StartResponse,
        operation: str,
        cbor_call: re.Match | None,
        target: str | None,
    ) -> list[bytes]:
        """A request that reaches moto: through the CBOR adapter, an override or dispatch."""
        cbor_service = cbor_call.group("service") if cbor_call else None
        if cbor_service in CBOR_SERVICES:
            body = read_body(environ)
            return self.cbor(environ, start_response, cbor_service, operation, body)
        merge = self.override_for(operation) if target and not cbor_call else None
        if merge is not None:
            return self.overridden(environ, start_response, operation, target, merge)
        return self.dispatch(environ, start_response, operation, target)

    def lose(
        self,
        environ: dict[str, Any],
        start_response: StartResponse,
        entry: dict[str, Any],
        fault: dict[str, Any],
        operation: str,
        cbor_call: re.Match | None,
        target: str | None,
    ) -> list[bytes]:
        """A lost answer (d., ``"lost": true``): moto gets the request and answers it as
        usual, that answer is dropped (its status goes into the log as ``lost_status``) and
        the caller gets the fault's error instead."""
        read_body(environ)  # buffered: the fault's answer must not read the socket again
        try:
            status, _, _ = call_app(
                lambda env, start: self.forward(env, start, operation, cbor_call, target),
                environ,
            )
            lost_status = status_code(status)
        except Exception:  # moto failed: the caller gets the fault's error all the same
            print_traceback()
            lost_status = 500
        self.update_entry(entry, lost_status=lost_status)
        cbor_service = cbor_call.group("service") if cbor_call else None
        return self.answer_fault(environ, start_response, fault, cbor_service, target)

    def dispatch(
        self,
        environ: dict[str, Any],
        start_response: StartResponse,
        operation: str,
        target: str | None,
    ) -> list[bytes]:
        """A non-CBOR call: the Logs fixes, the Organizations answers (k.), the pending SNS
        subscriptions (l.), Security Hub's imports and updates (o., p.) or moto itself."""
        if operation in SECURITYHUB_OPERATIONS and is_rest_json(environ):
            # Before moto, which has no route for BatchUpdateFindings (it would answer 404).
            return self.securityhub(environ, start_response, operation)
        if (target or "").startswith(f"{ORGANIZATIONS_TARGET}.") and operation in ORGANIZATION_LISTINGS:
            refusal = organization_refusal(environ)
            if refusal is not None:
                return aws_json_error(start_response, "400 Bad Request", *refusal)
        if (target or "").startswith(f"{LOGS_TARGET}.") and operation in LogsAdapter.OPERATIONS:
            return self.logs(environ, start_response, operation, read_body(environ))
        if (
            self.sns.enabled
            and not target
            and operation in SnsConfirmations.OPERATIONS
            and signing_service(environ) == "sns"
        ):
            return self.sns(
                environ, start_response, operation,
                lambda env, start: self.to_moto(env, start, target),
            )
        return self.to_moto(environ, start_response, target)

    def to_moto(
        self, environ: dict[str, Any], start_response: StartResponse, target: str | None
    ) -> list[bytes]:
        """moto's answer, with its IAM denials in AWS's shape when IAM is enforced."""
        if IAM_ENFORCED and is_rest_json(environ):
            # moto answers a restJson call it denies with an XML body; AWS answers restJson (o.).
            status, headers, answer = call_app(self.app, environ)
            if status_code(status) >= 400 and answer.lstrip().startswith(b"<?xml"):
                code, message, _ = parse_moto_error(answer)
                if code in ("AccessDenied", "AccessDeniedException"):
                    code = "AccessDeniedException"
                return rest_json_error(start_response, status, code, message or "")
            start_response(status, headers)
            return [answer]
        if IAM_ENFORCED and not target:
            # An awsQuery call (SNS, STS) moto denies: answer in AWS's ErrorResponse shape (SNS
            # calls a denial AuthorizationError). A form body signed as sent, though moto
            # re-encodes it otherwise, passes moto's signature check (m.).
            resign_form(environ)
            status, headers, answer = call_app(self.app, environ)
            if status_code(status) >= 400:
                code, message, _ = parse_moto_error(answer)
                if code in ("AccessDenied", "AccessDeniedException"):
                    code = "AuthorizationError" if signing_service(environ) == "sns" else "AccessDenied"
                return aws_query_error(start_response, status, code, message or "")
            start_response(status, headers)
            return [answer]
        if IAM_ENFORCED and target:
            # moto answers an awsJson call it denies with an XML body; AWS answers JSON.
            status, headers, answer = call_app(self.app, environ)
            if status_code(status) >= 400 and answer.lstrip().startswith(b"<"):
                code, message, _ = parse_moto_error(answer)
                if code in ("AccessDenied", "AccessDeniedException"):
                    code = "AccessDeniedException"
                content_type = environ.get("CONTENT_TYPE") or AWS_JSON_1_1
                return aws_json_error(start_response, status, code, message or "", content_type)
            start_response(status, headers)
            return [answer]
        # Materialise the answer so the time measured is the emulator's whole service time.
        return list(self.app(environ, start_response))

    def overridden(
        self,
        environ: dict[str, Any],
        start_response: StartResponse,
        operation: str,
        target: str | None,
        merge: dict[str, Any],
    ) -> list[bytes]:
        """An awsJson call whose successful JSON answer gets `merge` merged in."""
        status, headers, answer = call_app(
            lambda env, start: self.dispatch(env, start, operation, target), environ
        )
        if 200 <= status_code(status) < 300:
            merged = merge_answer(answer, merge)
            if merged is not None:
                answer = merged
                headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
                headers.append(("Content-Length", str(len(answer))))
        start_response(status, headers)
        return [answer]

    def control(
        self, environ: dict[str, Any], method: str, path: str, start_response: StartResponse
    ) -> list[bytes]:
        # Every control call's body is read, used or not: werkzeug drains unread request bytes
        # after answering with a blocking read until EOF, which held a caller that waits for
        # the end of the answer until its timeout.
        read_body(environ)
        if path == "/_trailwatch/requests" and method == "GET":
            with self._log_lock:
                entries = [dict(entry) for entry in self._log]
            return json_response(start_response, "200 OK", entries)
        if path == "/_trailwatch/requests/reset" and method == "POST":
            with self._log_lock:
                self._log.clear()
            return json_response(start_response, "200 OK", {})
        registers = (
            "/_trailwatch/faults", "/_trailwatch/override", "/_trailwatch/chaos",
            "/_trailwatch/stall",
        )
        if path in registers and method == "POST":
            try:
                return json_response(start_response, "200 OK", self.register(path, environ))
            except ControlError as exc:
                return json_response(start_response, "400 Bad Request", {"message": str(exc)})
        if path == "/_trailwatch/faults/reset" and method == "POST":
            with self._control_lock:
                self._faults.clear()
            return json_response(start_response, "200 OK", {})
        if path == "/_trailwatch/override/reset" and method == "POST":
            with self._control_lock:
                self._overrides.clear()
            return json_response(start_response, "200 OK", {})
        if path == "/_trailwatch/chaos/reset" and method == "POST":
            with self._control_lock:
                self._chaos, self._chaos_rng = None, None
            return json_response(start_response, "200 OK", {})
        if path == "/_trailwatch/sns/pending" and method == "GET":
            return json_response(start_response, "200 OK", self.sns.pending())
        if path == "/_trailwatch/sns/confirm" and method == "POST":
            try:
                filters = parse_sns_confirm(read_body(environ))
            except ControlError as exc:
                return json_response(start_response, "400 Bad Request", {"message": str(exc)})
            return json_response(start_response, "200 OK", {"confirmed": self.sns.confirm(filters)})
        if path == "/_trailwatch/alarm-history/reset" and method == "POST":
            self.alarms.history.reset()
            return json_response(start_response, "200 OK", {})
        if path == "/_trailwatch/stall/reset" and method == "POST":
            with self._control_lock:
                self._stalls.clear()
                events, self._stall_events = self._stall_events, []
            for event in events:
                event.set()  # every waiting request goes on to moto now
            return json_response(start_response, "200 OK", {})
        return json_response(
            start_response, "404 Not Found", {"message": f"no control endpoint {method} {path}"}
        )

    def register(self, path: str, environ: dict[str, Any]) -> dict[str, Any]:
        """Store a fault, override, chaos settings or stall; returns what was stored."""
        body = read_body(environ)
        if path == "/_trailwatch/faults":
            fault = parse_fault(body)
            with self._control_lock:
                self._faults[fault["operation"]] = dict(fault, seen=0)
            return fault
        if path == "/_trailwatch/override":
            override = parse_override(body)
            with self._control_lock:
                self._overrides[override["operation"]] = override["merge"]
            return override
        if path == "/_trailwatch/chaos":
            chaos = parse_chaos(body)
            with self._control_lock:
                self._chaos = chaos
                self._chaos_rng = random.Random(chaos["seed"])
            return chaos
        stall = parse_stall(body)
        event = threading.Event()
        with self._control_lock:
            self._stalls[stall["operation"]] = dict(stall, seen=0, event=event)
            self._stall_events.append(event)
        return stall


def internal_error(
    environ: dict[str, Any], start_response: StartResponse, exc: Exception
) -> list[bytes]:
    """HTTP 500 InternalFailure for an exception escaping moto, in the request's protocol.

    Called inside the `except` block: it passes `sys.exc_info()` to start_response, which
    replaces any status moto set before failing (nothing has been sent yet: the middleware
    materialises every answer before returning it).
    """
    message = f"emulator (moto): {type(exc).__name__}: {exc}"
    if environ.get("HTTP_X_AMZ_TARGET"):
        content_type = environ.get("CONTENT_TYPE") or ""
        if not content_type.startswith("application/x-amz-json"):
            content_type = AWS_JSON_1_1
        return aws_json_error(
            start_response, INTERNAL_ERROR, "InternalFailure", message, content_type,
            sys.exc_info(),
        )
    if is_rest_json(environ):
        return rest_json_error(
            start_response, INTERNAL_ERROR, "InternalFailure", message, sys.exc_info()
        )
    return aws_query_error(start_response, INTERNAL_ERROR, "InternalFailure", message,
                           sys.exc_info())


def quiet_werkzeug() -> None:
    """Silence werkzeug's "Error on request" log (and traceback) unless verbose."""
    if not VERBOSE:
        # Above CRITICAL: werkzeug only adds its own handler and INFO level to a logger whose
        # level is unset, so this one stays mute.
        logging.getLogger("werkzeug").setLevel(logging.CRITICAL + 1)


# --------------------------------------------------------------------------------------------
# Serving
# --------------------------------------------------------------------------------------------


def watch_stdin() -> None:
    """Exit the whole process once stdin reaches EOF (the parent closed it or died)."""
    # os.read on the raw fd, not sys.stdin: a daemon thread blocked inside the buffered reader
    # would hold its lock and make a SIGTERM-triggered interpreter shutdown abort.
    try:
        fd = sys.stdin.fileno()
        while os.read(fd, 4096):
            pass
    except (OSError, ValueError):
        pass
    os._exit(0)


ORGANIZATIONS_TARGET = "AWSOrganizationsV20161128"
ORGANIZATION_LISTINGS = frozenset(
    {"ListAccounts", "ListAccountsForParent", "ListRoots", "ListOrganizationalUnitsForParent"}
)


def organization_refusal(environ: dict[str, Any]) -> tuple[str, str] | None:
    """k. of the module docstring: (code, message) when AWS would refuse the caller's listing."""
    match = re.search(r"Credential=([^/,\s]+)/", environ.get("HTTP_AUTHORIZATION", ""))
    if not match:
        return None
    from moto.iam.models import get_account_id_from
    from moto.organizations.models import organizations_backends

    account = get_account_id_from(match.group(1))
    if organizations_backends[account]["aws"].org is not None:
        return None
    if account in organizations_backends.master_accounts:
        return (
            "AccessDeniedException",
            "You don't have permissions to access this resource.",
        )
    return (
        "AWSOrganizationsNotInUseException",
        "Your account is not a member of an organization.",
    )


def share_organization_trails() -> None:
    """j. of the module docstring: member accounts see their organization's trails."""
    from moto.cloudtrail import models as ct
    from moto.organizations.models import organizations_backends

    describe = ct.CloudTrailBackend.describe_trails
    get_trail = ct.CloudTrailBackend.get_trail

    def member(owner: str, account: str) -> bool:
        org_backend = organizations_backends[owner]["aws"]
        if org_backend.org is None:
            return True
        return any(a.id == account for a in org_backend.accounts)

    def org_trails(account: str, region: str) -> list[Any]:
        found = []
        for owner, regions in list(ct.cloudtrail_backends.items()):
            if owner == account:
                continue
            trails = [
                t for backend in list(regions.values()) for t in list(backend.trails.values())
                if t.is_org_trail and (t.is_multi_region or t.region_name == region)
            ]
            if trails and member(owner, account):
                found.extend(trails)
        return found

    def describe_trails(self: Any, include_shadow_trails: bool) -> Any:
        trails = list(describe(self, include_shadow_trails))
        if include_shadow_trails:
            trails.extend(org_trails(self.account_id, self.region_name))
        return trails

    def get_trail_or_org_trail(self: Any, name_or_arn: str) -> Any:
        try:
            return get_trail(self, name_or_arn)
        except ct.TrailNotFoundException:
            for t in org_trails(self.account_id, self.region_name):
                if t.arn == name_or_arn:
                    return t
            raise

    ct.CloudTrailBackend.describe_trails = describe_trails
    ct.CloudTrailBackend.get_trail = get_trail_or_org_trail


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: let the OS pick a free port")
    parser.add_argument(
        "--no-stdin-watch",
        action="store_true",
        help="do not exit on stdin EOF (for running by hand in the background)",
    )
    args = parser.parse_args(argv)

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    # SIGUSR1 prints every thread's stack on stderr (the test harness sends it when a control
    # call times out, to show where the emulator is stuck).
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    signal.signal(signal.SIGINT, stop)
    if not args.no_stdin_watch:
        threading.Thread(target=watch_stdin, name="stdin-watch", daemon=True).start()

    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    quiet_werkzeug()
    share_organization_trails()

    class QuietRequestHandler(MotoRequestHandler):
        def log_request(self, *args: Any, **kwargs: Any) -> None:  # no access log
            pass

    app = TrailwatchMiddleware(DomainDispatcherApplication(create_backend_app))
    if app.sns.enabled:
        hold_pending_deliveries(app.sns)
    server = make_server(
        args.host, args.port, app, threaded=True, request_handler=QuietRequestHandler
    )
    port = server.socket.getsockname()[1]
    os.environ["MOTO_PORT"] = str(port)  # moto builds a few self-URLs from it
    shown_host = "127.0.0.1" if args.host in ("0.0.0.0", "", "localhost") else args.host
    if ":" in shown_host:
        shown_host = f"[{shown_host}]"
    sys.stdout.write(f"{READY_PREFIX} http://{shown_host}:{port}\n")
    sys.stdout.flush()
    # stdout carries the READY line only: a parent that stops reading it must never block us
    # (moto prints a few diagnostics with print()). Everything later goes to stderr.
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    try:
        server.serve_forever()
    except SystemExit:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
