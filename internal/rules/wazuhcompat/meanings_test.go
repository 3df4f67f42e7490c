package wazuhcompat

// meaning says what vigil does with the lines of one Wazuh rule.
type meaning struct {
	// vigil lists rules (name or id) of the same meaning; on every "pass"
	// line at least one must fire, on every "fail" line none. Empty: Wazuh's
	// level is below its default alert threshold (3) or vigil deliberately has
	// no rule (differs).
	vigil []string
	// multi feeds all lines of a case, in order, into one evaluator and
	// wants one of vigil among the alerts (correlations).
	multi bool
	// differs marks a deliberate difference: vigil has no rule of this
	// meaning. Such a case counts as not matched; why says why.
	differs bool
	why     string
}

// Rules of vigil's pack (by name, or id where the rule has no name) and of
// SigmaHQ used below.
const (
	sshFailure          = "vigil_ssh_login_failure"
	sshBruteForce       = "vigil_ssh_bruteforce"
	sshUnknownUser      = "vigil_ssh_unknown_user_attempt"
	sshUnknownUserBrute = "vigil_ssh_unknown_user_bruteforce"
	sshNotAllowed       = "vigil_ssh_user_not_allowed"
	sshNotAllowedRepeat = "04799fe2-652e-451d-80f0-1760bfe45e11"
	sshMaxAuth          = "64f9bdd1-9a24-47c0-9dbd-2155f649d971"
	sshBanner           = "780766b8-0e34-4d76-bbad-3514b0d5286e"
	sshMalformed        = "fcd28052-56d2-4f7c-ba9b-4b318c0c6844"
	sshReverseDNS       = "55f9720c-237c-4512-a2fe-c229a1d4d9c5"
	pamFailure          = "vigil_pam_auth_failure"
	pamUnknownUser      = "c646991b-1201-4ec1-a3aa-cac77a8b0227"
	pamRepeated         = "d09d4e0e-374e-47dd-b460-17080e042db6"
	sudoAsRoot          = "83923f44-f595-4ce5-9c0a-36608b72cd13"
	sudoFailure         = "eb701a21-11f3-5901-80dd-da4d0d0eda00"
	sudoThreeFailures   = "8f271751-6ed9-4565-8810-a613d38bb2f4"
	sudoRefused         = "e6296ed9-b80d-40be-b3c2-04e18eb7a53e"
	suRootFailed        = "52585de5-eb73-44cb-aa09-1b7b836d33df"
	suOtherFailed       = "47d46823-a81d-42f3-b2c7-e50b00d0f335"
	suRoot              = "d368f68a-01fc-4945-b8d4-00ad1e6c3247"
	sigmaHQSSHDError    = "e76b413a-83d0-4b94-8e4c-85db4a5b8bdc"
)

const (
	whyDebug   = "sshd debug1 message about a forwarded channel (LogLevel DEBUG): a network condition, not a security event; the login collector reads no debug lines"
	whySession = "vigil keeps PAM sessions as user_login/user_logout events (searchable, in the host's login history) and raises no alert for them"
)

// meanings maps Wazuh rule ids to vigil's rules of the same meaning.
var meanings = map[string]meaning{
	"5739": {differs: true, why: "sshd configuration error (AuthorizedKeysCommand missing): an operational problem for the SCA/config checks, not a login event; the login collector gives no event"},
	"5740": {differs: true, why: "a client's TCP reset: vigil records an ssh_disconnect event and raises nothing"},
	"5741": {differs: true, why: whyDebug},
	"5742": {differs: true, why: whyDebug},
	"5743": {differs: true, why: whyDebug},
	"5744": {differs: true, why: whyDebug},
	"5745": {differs: true, why: whyDebug},
	"5746": {differs: true, why: whyDebug},
	"5747": {vigil: []string{sshMalformed, sigmaHQSSHDError}},
	"5748": {vigil: []string{sshMalformed, sigmaHQSSHDError}},
	"5749": {vigil: []string{sshMalformed}},
	"5752": {},
	"5753": {},
	"5710": {vigil: []string{sshUnknownUser}},
	"5754": {},
	"5755": {differs: true, why: "public-key login refused because of the modes of authorized_keys: a configuration problem the user sees at once; the login collector gives no event (the SCA checks cover file modes)"},
	"5756": {},
	"5716": {vigil: []string{sshFailure}},
	"5757": {},
	"5758": {vigil: []string{sshMaxAuth}},
	"5760": {vigil: []string{sshFailure, pamFailure}},
	"5722": {},
	"5761": {},
	"5706": {vigil: []string{sshBanner}},
	"5762": {differs: true, why: "a connection reset while authenticating: vigil records an ssh_disconnect event and raises nothing (failed attempts are counted by the login-failure rules)"},
	"5718": {vigil: []string{sshNotAllowed}},
	"5719": {vigil: []string{sshNotAllowedRepeat}, multi: true},
	"5702": {vigil: []string{sshReverseDNS}},
	"5701": {vigil: []string{sshBanner}},
	"5763": {vigil: []string{sshBruteForce}, multi: true},
	"5712": {vigil: []string{sshUnknownUserBrute}, multi: true},
	"5503": {vigil: []string{pamFailure}},
	"5504": {vigil: []string{pamUnknownUser}},
	"5501": {differs: true, why: whySession},
	"5502": {differs: true, why: whySession},
	"2502": {vigil: []string{pamRepeated}},
	"5403": {vigil: []string{sudoAsRoot}},
	"5401": {vigil: []string{sudoFailure}},
	"5404": {vigil: []string{sudoThreeFailures}},
	"5405": {vigil: []string{sudoRefused}},
	"5302": {vigil: []string{suRootFailed}},
	"5301": {vigil: []string{suOtherFailed}},
	"5305": {vigil: []string{suRoot}},
}

// caseMeanings override meanings for single cases ("file/case name").
var caseMeanings = map[string]meaning{
	// The same su(pam_unix) line passes 5503 in pam.ini; here Wazuh's su
	// decoder takes it (rules 5301/5302). vigil gives the generic PAM failure
	// and the su failure of the same meaning as 5301/5302.
	"su.ini/su: pam - auth fail": {vigil: []string{suRootFailed, suOtherFailed}},
}

// expectedMisses are cases whose mapped vigil rule is known not to fire,
// with the reason.
var expectedMisses = map[string]string{
	"sshd.ini/sshd: Multiple access attempts using a denied user": "the eight lines come from two sources on two days six days apart; Wazuh counts them by arrival time, vigil by the lines' own timestamps per source (the rule does fire on 8 refusals from one source within 2 minutes, see TestDeniedUserRepeat)",
}
