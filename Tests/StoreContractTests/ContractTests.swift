import XCTest

// One test per contract body and backend. The PostgreSQL ones need ESTFCGI_TEST_PG (a URI;
// `scripts/pg-cluster start` makes a throwaway server and prints one) and are skipped,
// with a notice, without it.

final class SQLiteStoreContractTests: XCTestCase {
    func testSerialCollision() throws { try StoreContract.serialCollision(try StoreFactory(.sqlite)) }
    func testTimeComesFromTheCaller() throws { try StoreContract.timeComesFromTheCaller(try StoreFactory(.sqlite)) }
    func testProfilesAndMaterialVersion() throws { try StoreContract.profilesAndMaterialVersion(try StoreFactory(.sqlite)) }
    func testReenrollmentRace() throws { try StoreContract.reenrollmentRace(try StoreFactory(.sqlite)) }
    func testConcurrentEnrollments() throws { try StoreContract.concurrentEnrollments(try StoreFactory(.sqlite)) }
    func testRegistryAndBootstrapLimitRaces() throws { try StoreContract.registryAndBootstrapLimitRaces(try StoreFactory(.sqlite)) }
    func testRevocationAcrossHosts() throws { try StoreContract.revocationAcrossHosts(try StoreFactory(.sqlite)) }
    func testAdministration() throws { try StoreContract.administration(try StoreFactory(.sqlite)) }
    func testRegistryModes() throws { try OperatorPolicyContract.registryModes(try StoreFactory(.sqlite)) }
    func testReplaceableEnrollmentSupersedesAndDisableRefusesEverywhere() throws { try OperatorPolicyContract.replaceableEnrollmentSupersedesAndDisableRefusesEverywhere(try StoreFactory(.sqlite)) }
    func testManualApproval() throws { try OperatorPolicyContract.manualApproval(try StoreFactory(.sqlite)) }
    func testDeviceKindsAreSeparate() throws { try OperatorPolicyContract.deviceKindsAreSeparate(try StoreFactory(.sqlite)) }
    func testHTTPAuthenticationIsAFactorBoundToTheDevice() throws { try OperatorPolicyContract.httpAuthenticationIsAFactorBoundToTheDevice(try StoreFactory(.sqlite)) }
    func testCRLNumbersAndEntries() throws { try OperatorPolicyContract.crlNumbersAndEntries(try StoreFactory(.sqlite)) }
    func testCopyCarriesEveryTable() throws { try StoreTablesContract.copyCarriesEveryTable(try StoreFactory(.sqlite)) }
    func testNamesHaveOneSpelling() throws { try OperatorPolicyContract.namesHaveOneSpelling(try StoreFactory(.sqlite)) }
    func testOCSPSignersAndAnswersAcrossHosts() throws { try OCSPContract.signersAndAnswersAcrossHosts(try StoreFactory(.sqlite)) }
    func testRolloverStateMachine() throws { try RolloverContract.stateMachine(try StoreFactory(.sqlite)) }
    func testConcurrentRollovers() throws { try RolloverContract.concurrentRollovers(try StoreFactory(.sqlite)) }
    func testTokenKeysAreAReference() throws { try TokenKeyContract.tokenKeysAreAReference(try StoreFactory(.sqlite)) }
    func testRekeyMovesEveryKeyAtomically() throws { try KeyProtectionContract.rekeyMovesEveryKeyAtomically(try StoreFactory(.sqlite)) }
    func testNotificationEventsCommitWithWhatTheyReport() throws { try NotificationContract.eventsCommitWithWhatTheyReport(try StoreFactory(.sqlite)) }
    func testNotificationPendingOnce() throws { try NotificationContract.pendingOnce(try StoreFactory(.sqlite)) }
    func testNotificationLeasesAndPruning() throws { try NotificationContract.leasesAndPruning(try StoreFactory(.sqlite)) }
    func testNotificationDeliverers() throws { try NotificationContract.deliverers(try StoreFactory(.sqlite)) }
    func testNotificationBackoff() throws { try NotificationContract.backoff(try StoreFactory(.sqlite)) }
    func testTokenGenerationsAndKeyCRLs() throws { try GenerationKeyContract.tokenGenerationsAndKeyCRLs(try StoreFactory(.sqlite)) }
    func testAuthorizationHooksAreStored() throws { try AuthorizationHookContract.hooksAreStored(try StoreFactory(.sqlite)) }
    func testTokenKeyURIsFromTheOperator() throws { try TokenKeyContract.urisFromTheOperator() }
    func testCertificateIndexes() throws { try IndexContract.certificateIndexes(try StoreFactory(.sqlite)) }
}

final class PostgresStoreContractTests: XCTestCase {
    func testSerialCollision() throws { try StoreContract.serialCollision(try StoreFactory(.postgres)) }
    func testTimeComesFromTheCaller() throws { try StoreContract.timeComesFromTheCaller(try StoreFactory(.postgres)) }
    func testProfilesAndMaterialVersion() throws { try StoreContract.profilesAndMaterialVersion(try StoreFactory(.postgres)) }
    func testReenrollmentRace() throws { try StoreContract.reenrollmentRace(try StoreFactory(.postgres)) }
    func testConcurrentEnrollments() throws { try StoreContract.concurrentEnrollments(try StoreFactory(.postgres)) }
    func testRegistryAndBootstrapLimitRaces() throws { try StoreContract.registryAndBootstrapLimitRaces(try StoreFactory(.postgres)) }
    func testRevocationAcrossHosts() throws { try StoreContract.revocationAcrossHosts(try StoreFactory(.postgres)) }
    func testAdministration() throws { try StoreContract.administration(try StoreFactory(.postgres)) }
    func testRegistryModes() throws { try OperatorPolicyContract.registryModes(try StoreFactory(.postgres)) }
    func testReplaceableEnrollmentSupersedesAndDisableRefusesEverywhere() throws { try OperatorPolicyContract.replaceableEnrollmentSupersedesAndDisableRefusesEverywhere(try StoreFactory(.postgres)) }
    func testManualApproval() throws { try OperatorPolicyContract.manualApproval(try StoreFactory(.postgres)) }
    func testDeviceKindsAreSeparate() throws { try OperatorPolicyContract.deviceKindsAreSeparate(try StoreFactory(.postgres)) }
    func testHTTPAuthenticationIsAFactorBoundToTheDevice() throws { try OperatorPolicyContract.httpAuthenticationIsAFactorBoundToTheDevice(try StoreFactory(.postgres)) }
    func testCRLNumbersAndEntries() throws { try OperatorPolicyContract.crlNumbersAndEntries(try StoreFactory(.postgres)) }
    func testCopyCarriesEveryTable() throws { try StoreTablesContract.copyCarriesEveryTable(try StoreFactory(.postgres)) }
    func testNamesHaveOneSpelling() throws { try OperatorPolicyContract.namesHaveOneSpelling(try StoreFactory(.postgres)) }
    func testOCSPSignersAndAnswersAcrossHosts() throws { try OCSPContract.signersAndAnswersAcrossHosts(try StoreFactory(.postgres)) }
    func testRolloverStateMachine() throws { try RolloverContract.stateMachine(try StoreFactory(.postgres)) }
    func testConcurrentRollovers() throws { try RolloverContract.concurrentRollovers(try StoreFactory(.postgres)) }
    func testTokenGenerationsAndKeyCRLs() throws { try GenerationKeyContract.tokenGenerationsAndKeyCRLs(try StoreFactory(.postgres)) }
    func testTokenKeysAreAReference() throws { try TokenKeyContract.tokenKeysAreAReference(try StoreFactory(.postgres)) }
    func testRekeyMovesEveryKeyAtomically() throws { try KeyProtectionContract.rekeyMovesEveryKeyAtomically(try StoreFactory(.postgres)) }
    func testNotificationEventsCommitWithWhatTheyReport() throws { try NotificationContract.eventsCommitWithWhatTheyReport(try StoreFactory(.postgres)) }
    func testNotificationPendingOnce() throws { try NotificationContract.pendingOnce(try StoreFactory(.postgres)) }
    func testNotificationLeasesAndPruning() throws { try NotificationContract.leasesAndPruning(try StoreFactory(.postgres)) }
    func testNotificationDeliverers() throws { try NotificationContract.deliverers(try StoreFactory(.postgres)) }
    func testNotificationBackoff() throws { try NotificationContract.backoff(try StoreFactory(.postgres)) }
    func testAuthorizationHooksAreStored() throws { try AuthorizationHookContract.hooksAreStored(try StoreFactory(.postgres)) }
    func testCertificateIndexes() throws { try IndexContract.certificateIndexes(try StoreFactory(.postgres)) }
}
