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
}
