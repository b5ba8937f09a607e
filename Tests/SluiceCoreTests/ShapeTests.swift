import Testing
@testable import SluiceCore

@Test func elementCountMultipliesDimensions() throws {
    #expect(try Shape.elementCount([2, 3, 4]) == 24)
    #expect(try Shape.elementCount([]) == 1)
    #expect(try Shape.elementCount([0, 5]) == 0)
}

@Test(arguments: [[-1, 3], [Int.max, 2], [4294967296, 4294967296]])
func elementCountRefusesNegativeOrOverflowingShapes(_ dims: [Int]) {
    #expect(throws: ServingError.self) { try Shape.elementCount(dims) }
}

@Test func tensorRefusesDataThatDoesNotFillItsShape() {
    #expect(throws: ServingError.self) {
        try Tensor(name: "x", shape: [2, 2], data: .fp32([1, 2, 3]))
    }
}

@Test func declaredShapeMatchesAnyBatchSize() {
    #expect(Shape.matches([7, 20], declared: [-1, 20]))
    #expect(!Shape.matches([7, 19], declared: [-1, 20]))
    #expect(!Shape.matches([7], declared: [-1, 20]))
}
