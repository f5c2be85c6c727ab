"""Official sequence lists of the benchmarks `sasiam eval --dataset` reads, kept in
the package so that evaluation needs no download and no test-only dependency.

Copied from the got10k toolkit 0.1.3 (MIT licence): `datasets/otb.py` (OTB-2013,
TB-50, TB-100 names), `datasets/lasot.json` ("test": the 280 LaSOT test
sequences, in that file's order) and `datasets/uav123.json` ("UAV123": sub-sequence
frame ranges). tests/data/test_benchmarks.py checks them against the installed
got10k package, so a typo here cannot go unnoticed.
"""
from __future__ import annotations

# `sasiam eval --dataset` names (sasiam.data.benchmarks.BENCHMARKS has one loader each).
DATASET_NAMES = ("otb2013", "otb50", "otb100", "otb2015", "vot2015", "vot2016", "vot2017", "got10k-val",
                 "lasot-test", "uav123", "tc128", "folder")

# OTB: folder names; Jogging and Skating2 each hold two targets (-1 and -2).
OTB2013 = (
    "Basketball Bolt Boy Car4 CarDark CarScale Coke Couple Crossing David David2 David3 Deer Dog1 Doll Dudek "
    "FaceOcc1 FaceOcc2 Fish FleetFace Football Football1 Freeman1 Freeman3 Freeman4 Girl Ironman Jogging Jumping "
    "Lemming Liquor Matrix Mhyang MotorRolling MountainBike Shaking Singer1 Singer2 Skating1 Skiing Soccer Subway "
    "Suv Sylvester Tiger1 Tiger2 Trellis Walking Walking2 Woman"
).split()
TB50 = (
    "Basketball Biker Bird1 BlurBody BlurCar2 BlurFace BlurOwl Bolt Box Car1 Car4 CarDark CarScale ClifBar Couple "
    "Crowds David Deer Diving DragonBaby Dudek Football Freeman4 Girl Human3 Human4 Human6 Human9 Ironman Jump "
    "Jumping Liquor Matrix MotorRolling Panda RedTeam Shaking Singer2 Skating1 Skating2 Skiing Soccer Surfer "
    "Sylvester Tiger2 Trellis Walking Walking2 Woman"
).split()
TB100 = (
    "Bird2 BlurCar1 BlurCar3 BlurCar4 Board Bolt2 Boy Car2 Car24 Coke Coupon Crossing Dancer Dancer2 David2 David3 "
    "Dog Dog1 Doll FaceOcc1 FaceOcc2 Fish FleetFace Football1 Freeman1 Freeman3 Girl2 Gym Human2 Human5 Human7 "
    "Human8 Jogging KiteSurf Lemming Man Mhyang MountainBike Rubik Singer1 Skater Skater2 Subway Suv Tiger1 Toy "
    "Trans Twinnings Vase"
).split() + TB50
OTB_TWO_TARGETS = ("Jogging", "Skating2")

# Frames the OTB toolkit evaluates (its configSeqs100.m: startFrame, endFrame), in the
# numbering of the full image folder; the ground-truth file covers exactly this range,
# except Tiger1's, which starts at frame 1 (the toolkit skips its first 5 frames).
OTB_FRAME_RANGES = {
    "David": (300, 770), "Football1": (1, 74), "Freeman3": (1, 460), "Freeman4": (1, 283), "Diving": (1, 215),
    "BlurCar1": (247, 988), "BlurCar3": (3, 359), "BlurCar4": (18, 397), "Tiger1": (6, 354),
}
OTB_GROUNDTRUTH_FIRST_FRAME = {"Tiger1": 1}  # default: the range's start
OTB_GROUNDTRUTH_FILES = {"Human4": "groundtruth_rect.2.txt"}  # its groundtruth_rect.1.txt is empty

# LaSOT test: class:numbers -> class-number.
LASOT_TEST_TEXT = """
airplane:1,9,13,15 basketball:1,6,7,11 bear:2,4,6,17 bicycle:2,7,9,18 bird:2,3,15,17 boat:3,4,12,17
book:3,10,11,19 bottle:1,12,14,18 bus:2,5,17,19 car:2,6,9,17 cat:1,3,18,20 cattle:2,7,12,13 spider:14,16,18,20
coin:3,6,7,18 crab:3,6,12,18 surfboard:12,4,5,8 cup:1,4,7,17 deer:4,8,10,14 dog:1,7,15,19 guitar:3,8,10,16
person:1,5,10,12 pig:2,10,13,18 rubicCube:1,6,14,19 swing:10,14,17,20 drone:13,15,2,7 pool:12,15,3,7
rabbit:10,13,17,19 racing:10,15,16,20 robot:1,19,5,8 sepia:13,16,6,8 sheep:3,5,7,9 skateboard:16,19,3,8
tank:14,16,6,9 tiger:12,18,4,6 train:1,11,20,7 truck:16,3,6,7 turtle:16,5,8,9 umbrella:17,19,2,9
yoyo:15,17,19,7 zebra:10,14,16,17 elephant:1,12,16,18 goldfish:3,7,8,10 hat:1,2,5,18 kite:4,6,10,15
motorcycle:1,3,9,18 mouse:1,8,9,17 flag:3,9,5,2 frog:3,4,20,9 gametarget:1,2,7,13 hand:2,3,9,16
helmet:5,11,19,13 licenseplate:6,12,13,15 electricfan:1,10,18,20 chameleon:3,6,11,20 crocodile:3,4,10,14
gecko:1,5,16,19 fox:2,3,5,20 giraffe:2,10,13,15 gorilla:4,6,9,13 hippo:1,7,9,20 horse:1,4,12,15
kangaroo:2,5,11,14 leopard:1,7,16,20 lion:1,5,12,20 lizard:1,3,6,13 microphone:2,6,14,16 monkey:3,4,9,17
shark:2,3,5,6 squirrel:8,11,13,19 volleyball:1,13,18,19
"""

# UAV123: name folder start_frame end_frame (several names are ranges of one folder).
UAV123_TEXT = """
bike1 bike1 1 3085; bike2 bike2 1 553; bike3 bike3 1 433; bird1_1 bird1 1 253; bird1_2 bird1 775 1477; bird1_3
bird1 1573 2437; boat1 boat1 1 901; boat2 boat2 1 799; boat3 boat3 1 901; boat4 boat4 1 553; boat5 boat5 1
505; boat6 boat6 1 805; boat7 boat7 1 535; boat8 boat8 1 685; boat9 boat9 1 1399; building1 building1 1 469;
building2 building2 1 577; building3 building3 1 829; building4 building4 1 787; building5 building5 1 481;
car1_1 car1 1 751; car1_2 car1 751 1627; car1_3 car1 1627 2629; car2 car2 1 1321; car3 car3 1 1717; car4 car4
1 1345; car5 car5 1 745; car6_1 car6 1 487; car6_2 car6 487 1807; car6_3 car6 1807 2953; car6_4 car6 2953
3925; car6_5 car6 3925 4861; car7 car7 1 1033; car8_1 car8 1 1357; car8_2 car8 1357 2575; car9 car9 1 1879;
car10 car10 1 1405; car11 car11 1 337; car12 car12 1 499; car13 car13 1 415; car14 car14 1 1327; car15 car15 1
469; car16_1 car16 1 415; car16_2 car16 415 1993; car17 car17 1 1057; car18 car18 1 1207; group1_1 group1 1
1333; group1_2 group1 1333 2515; group1_3 group1 2515 3925; group1_4 group1 3925 4873; group2_1 group2 1 907;
group2_2 group2 907 1771; group2_3 group2 1771 2683; group3_1 group3 1 1567; group3_2 group3 1567 2827;
group3_3 group3 2827 4369; group3_4 group3 4369 5527; person1 person1 1 799; person2_1 person2 1 1189;
person2_2 person2 1189 2623; person3 person3 1 643; person4_1 person4 1 1501; person4_2 person4 1501 2743;
person5_1 person5 1 877; person5_2 person5 877 2101; person6 person6 1 901; person7_1 person7 1 1249;
person7_2 person7 1249 2065; person8_1 person8 1 1075; person8_2 person8 1075 1525; person9 person9 1 661;
person10 person10 1 1021; person11 person11 1 721; person12_1 person12 1 601; person12_2 person12 601 1621;
person13 person13 1 883; person14_1 person14 1 847; person14_2 person14 847 1813; person14_3 person14 1813
2923; person15 person15 1 1339; person16 person16 1 1147; person17_1 person17 1 1501; person17_2 person17 1501
2347; person18 person18 1 1393; person19_1 person19 1 1243; person19_2 person19 1243 2791; person19_3 person19
2791 4357; person20 person20 1 1783; person21 person21 1 487; person22 person22 1 199; person23 person23 1
397; truck1 truck1 1 463; truck2 truck2 1 385; truck3 truck3 1 535; truck4_1 truck4 1 577; truck4_2 truck4 577
1261; uav1_1 uav1 1 1555; uav1_2 uav1 1555 2377; uav1_3 uav1 2473 3469; uav2 uav2 1 133; uav3 uav3 1 265; uav4
uav4 1 157; uav5 uav5 1 139; uav6 uav6 1 109; uav7 uav7 1 373; uav8 uav8 1 301; wakeboard1 wakeboard1 1 421;
wakeboard2 wakeboard2 1 733; wakeboard3 wakeboard3 1 823; wakeboard4 wakeboard4 1 697; wakeboard5 wakeboard5 1
1675; wakeboard6 wakeboard6 1 1165; wakeboard7 wakeboard7 1 199; wakeboard8 wakeboard8 1 1543; wakeboard9
wakeboard9 1 355; wakeboard10 wakeboard10 1 469; car1_s car1_s 1 1475; car2_s car2_s 1 320; car3_s car3_s 1
1300; car4_s car4_s 1 830; person1_s person1_s 1 1600; person2_s person2_s 1 250; person3_s person3_s 1 505
"""


def lasot_test_names() -> list[str]:
    return [f"{group.split(':')[0]}-{number}" for group in LASOT_TEST_TEXT.split()
            for number in group.split(":")[1].split(",")]


def uav123_ranges() -> dict[str, tuple[str, int, int]]:
    """name -> (folder, first frame, last frame), both inclusive, 1-based."""
    table = {}
    for row in UAV123_TEXT.replace("\n", " ").split(";"):
        name, folder, start, end = row.split()
        table[name] = (folder, int(start), int(end))
    return table
