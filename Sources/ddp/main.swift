import ArgumentParser
import Experiments
import Foundation
import Reports
import Training

BLASEnvironment.ensureCoreType()
CommandLineErrors.run(DDP.self)
